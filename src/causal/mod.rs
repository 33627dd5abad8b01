//! Causal graphs for teaching: DAGs with named nodes, d-separation and
//! `DAGitty` / Graphviz text formats.
//!
//! Pure Rust and UI-free, so the GUI lessons and the tests share one core.
//!
//! - [`dag`]: the [`Dag`] type, its editing operations and graph queries.
//! - [`dsep`]: linear-time d-separation, chain enumeration with explanations,
//!   and the implied conditional independencies.
//! - [`intervention`]: do(X), the graph with the arrows into X cut.
//! - [`dagitty`]: parsing and writing `DAGitty` text, writing Graphviz DOT.
//! - [`compact`], [`text`], [`query`]: the large-graph path of the `dsep` command (flat adjacency, a one-pass
//!   `DAGitty`/DOT reader, iterative Bayes ball, the `a _||_ b | c` query lines).

pub mod compact;
pub mod dag;
pub mod dagitty;
pub mod dsep;
pub mod intervention;
pub mod query;
pub mod text;

pub use dag::{CausalError, Dag, NodeId};
pub use dagitty::{parse_dagitty, to_dagitty, to_dot};
pub use dsep::{BlockRule, Blocker, Chain, EdgeDir, Independence, chains, d_separated, implied_independencies};
pub use intervention::intervene;
