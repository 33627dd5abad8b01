//! Lecture files: the lecture as a sequence of stops, each a lesson with the state it starts from (a scene file,
//! or a scene's parts written inline), a title, the slide's statement and what to show. Pure: no egui, no threads;
//! the app walks the stops (`app::lecture`) and the shipped lecture lives in `assets/lecture` ([`shipped`]).

pub mod classroom;
pub mod shipped;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `format` field of a lecture file.
pub const FORMAT: &str = "latent-lab lecture";
/// The newest lecture format this version reads and writes.
pub const VERSION: u32 = 1;
/// At most this many stops (a lecture of several hours has fewer than a hundred).
pub const MAX_STOPS: usize = 500;
/// At most this many characters in a stop's title, statement or "what to show".
pub const MAX_TEXT: usize = 4_000;

/// Why a lecture file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LectureError {
    #[error("it is not valid JSON (line {line}, column {column}: {message})")]
    NotJson { line: usize, column: usize, message: String },
    #[error("it is not a latent-lab lecture file (its \"format\" is not \"{FORMAT}\")")]
    NotALecture,
    #[error(
        "it was written by a newer latent-lab (lecture format {0}; this version reads up to {VERSION}): update \
         latent-lab to open it"
    )]
    Newer(u64),
    #[error("it is damaged ({0})")]
    Damaged(String),
    #[error("it has no stops")]
    Empty,
    #[error("it has {0} stops; at most {MAX_STOPS} are allowed")]
    TooMany(usize),
    #[error("stop {stop} (\"{title}\") names the tab \"{lesson}\", which this version lacks")]
    UnknownLesson { stop: usize, title: String, lesson: String },
    #[error("stop {stop}'s {field} is longer than {MAX_TEXT} characters")]
    TooLong { stop: usize, field: &'static str },
    #[error("stop {stop} has no title")]
    Untitled { stop: usize },
    #[error("stop {stop} hides \"{key}\", which is not a control this version can hide ({known})")]
    UnknownControl { stop: usize, key: String, known: String },
}

/// A lecture: its title and its stops, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lecture {
    pub format: String,
    pub version: u32,
    pub title: String,
    pub stops: Vec<Stop>,
}

/// One stop of a lecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    /// The part of the lecture it belongs to ("1 · VAEs and IWAEs"), shown above the title.
    #[serde(default)]
    pub part: String,
    pub title: String,
    /// The slide's formulas in TeX (typeset by `viz::math`), one per line, shown above the statement.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub formula: String,
    /// What the slide states, in a sentence or two.
    #[serde(default)]
    pub statement: String,
    /// What to show the room, and what to point at.
    #[serde(default)]
    pub show: String,
    /// The tab shown at this stop.
    pub lesson: String,
    /// A scene file to open at this stop, relative to the lecture's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
    /// Lessons' scene parts written inline (as in a scene file's `lessons`), applied after `scene`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lessons: BTreeMap<String, serde_json::Value>,
    /// Classroom view: hide the lesson's settings panel so students see only what the stop is about.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hide_settings: bool,
    /// Classroom view: the groups of controls hidden at this stop (`lessons::classroom::Control` keys:
    /// "training", "seed", "files").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hide: Vec<String>,
    /// Open the explanation panel (formula and things to try) at this stop.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub explain: bool,
}

impl Stop {
    /// A stop showing `lesson` as it is, titled `title`.
    pub fn new(title: &str, lesson: &str) -> Self {
        Self {
            part: String::new(),
            title: title.to_owned(),
            formula: String::new(),
            statement: String::new(),
            show: String::new(),
            lesson: lesson.to_owned(),
            scene: None,
            lessons: BTreeMap::new(),
            hide_settings: false,
            hide: Vec::new(),
            explain: false,
        }
    }
}

impl Lecture {
    /// An empty lecture titled `title` (it must gain a stop before it is saved or opened).
    pub fn new(title: &str) -> Self {
        Self { format: FORMAT.into(), version: VERSION, title: title.to_owned(), stops: Vec::new() }
    }

    /// The lecture as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The stop after `index` (or `index` itself at the end).
    pub fn next(&self, index: usize) -> usize {
        (index + 1).min(self.stops.len().saturating_sub(1))
    }

    /// The stop before `index` (or the first).
    pub fn previous(index: usize) -> usize {
        index.saturating_sub(1)
    }

    /// "stop 7 of 24".
    pub fn progress(&self, index: usize) -> String {
        format!("stop {} of {}", index + 1, self.stops.len())
    }

    /// Inserts `stop` after `index` (at the start of an empty lecture); returns where it went.
    pub fn insert_after(&mut self, index: usize, stop: Stop) -> usize {
        let at = if self.stops.is_empty() { 0 } else { (index + 1).min(self.stops.len()) };
        self.stops.insert(at, stop);
        at
    }

    /// Removes the stop at `index` (the last one stays: a lecture needs a stop); returns the stop to show then.
    pub fn remove(&mut self, index: usize) -> usize {
        if self.stops.len() > 1 && index < self.stops.len() {
            self.stops.remove(index);
        }
        index.min(self.stops.len().saturating_sub(1))
    }

    /// Moves the stop at `index` one place earlier (`up`) or later; returns its new index.
    pub fn move_stop(&mut self, index: usize, up: bool) -> usize {
        let target = if up { index.checked_sub(1) } else { Some(index + 1) };
        match target {
            Some(t) if t < self.stops.len() && index < self.stops.len() => {
                self.stops.swap(index, t);
                t
            }
            _ => index,
        }
    }

    /// Checks the lecture against the tabs this version has (`lessons`): at least one stop, at most
    /// [`MAX_STOPS`], every stop titled, texts bounded, every tab known.
    pub fn check(&self, lessons: &[&str]) -> Result<(), LectureError> {
        if self.stops.is_empty() {
            return Err(LectureError::Empty);
        }
        if self.stops.len() > MAX_STOPS {
            return Err(LectureError::TooMany(self.stops.len()));
        }
        for (i, stop) in self.stops.iter().enumerate() {
            let n = i + 1;
            if stop.title.trim().is_empty() {
                return Err(LectureError::Untitled { stop: n });
            }
            for (field, text) in [
                ("title", &stop.title),
                ("formula", &stop.formula),
                ("statement", &stop.statement),
                ("\"what to show\"", &stop.show),
            ] {
                if text.chars().count() > MAX_TEXT {
                    return Err(LectureError::TooLong { stop: n, field });
                }
            }
            if let Some(key) = stop.hide.iter().find(|key| classroom::Control::from_key(key).is_none()) {
                let known = classroom::Control::ALL.map(classroom::Control::key).join(", ");
                return Err(LectureError::UnknownControl { stop: n, key: key.clone(), known });
            }
            if let Some(unknown) =
                std::iter::once(&stop.lesson).chain(stop.lessons.keys()).find(|l| !lessons.contains(&l.as_str()))
            {
                return Err(LectureError::UnknownLesson {
                    stop: n,
                    title: stop.title.clone(),
                    lesson: unknown.clone(),
                });
            }
        }
        Ok(())
    }
}

/// Reads a lecture file's text and checks it against the tabs this version has.
pub fn parse(text: &str, lessons: &[&str]) -> Result<Lecture, LectureError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| LectureError::NotJson {
        line: e.line(),
        column: e.column(),
        message: e.to_string().split(" at line").next().unwrap_or_default().to_owned(),
    })?;
    if value.get("format").and_then(serde_json::Value::as_str) != Some(FORMAT) {
        return Err(LectureError::NotALecture);
    }
    let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if version > u64::from(VERSION) {
        return Err(LectureError::Newer(version));
    }
    let lecture: Lecture = serde_json::from_value(value).map_err(|e| LectureError::Damaged(e.to_string()))?;
    lecture.check(lessons)?;
    Ok(lecture)
}

/// The strings in a scene part that name model files: `….bpk` (with its `….json`) or `….json`.
pub fn referenced_files(value: &serde_json::Value) -> Vec<String> {
    match value {
        serde_json::Value::String(s) if has_extension(s, "bpk") => {
            vec![s.clone(), std::path::Path::new(s).with_extension("json").to_string_lossy().into_owned()]
        }
        serde_json::Value::String(s) if has_extension(s, "json") => vec![s.clone()],
        serde_json::Value::Array(items) => items.iter().flat_map(referenced_files).collect(),
        serde_json::Value::Object(map) => map.values().flat_map(referenced_files).collect(),
        _ => Vec::new(),
    }
}

fn has_extension(name: &str, extension: &str) -> bool {
    std::path::Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case(extension))
}

/// Whether a reference names a file inside the lecture's folder (relative, no `..`): only those are copied.
pub fn is_plain_reference(reference: &str) -> bool {
    let path = std::path::Path::new(reference);
    path.is_relative() && path.components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABS: &[&str] = &["Latent space", "d-separation"];

    fn two_stops() -> Lecture {
        let mut l = Lecture::new("Test");
        l.stops.push(Stop::new("Codes", "Latent space"));
        l.stops.push(Stop::new("Chains", "d-separation"));
        l
    }

    #[test]
    fn a_lecture_round_trips_through_its_json() {
        let mut l = two_stops();
        l.stops[1].lessons.insert("d-separation".into(), serde_json::json!({"graph": "dag { a -> b }"}));
        l.stops[1].hide_settings = true;
        l.stops[1].hide = vec!["seed".into(), "training".into()];
        l.stops[0].formula = r"\frac{1}{2}".into();
        assert_eq!(parse(&l.to_json(), TABS), Ok(l));
    }

    #[test]
    fn a_stop_may_hide_only_controls_this_version_knows() {
        let mut l = two_stops();
        l.stops[1].hide = vec!["seed".into(), "everything".into()];
        let Err(LectureError::UnknownControl { stop: 2, key, known }) = parse(&l.to_json(), TABS) else {
            panic!("an unknown control is refused")
        };
        assert_eq!((key.as_str(), known.as_str()), ("everything", "training, seed, files"));
        l.stops[1].formula = "x".repeat(MAX_TEXT + 1);
        l.stops[1].hide.pop();
        assert_eq!(parse(&l.to_json(), TABS), Err(LectureError::TooLong { stop: 2, field: "formula" }));
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        assert!(matches!(parse("{\n  \"format\": ", TABS), Err(LectureError::NotJson { line: 2, .. })));
        assert_eq!(parse(r#"{"format": "latent-lab scene"}"#, TABS), Err(LectureError::NotALecture));
        let newer = r#"{"format": "latent-lab lecture", "version": 9, "title": "x", "stops": []}"#;
        assert_eq!(parse(newer, TABS), Err(LectureError::Newer(9)));
        assert_eq!(parse(&Lecture::new("x").to_json(), TABS), Err(LectureError::Empty));
        let mut l = two_stops();
        l.stops[1].lesson = "Unicorns".into();
        let e = parse(&l.to_json(), TABS).unwrap_err();
        assert!(e.to_string().contains("stop 2") && e.to_string().contains("Unicorns"), "{e}");
        let mut l = two_stops();
        l.stops[0].lessons.insert("Gone".into(), serde_json::json!({}));
        assert!(matches!(parse(&l.to_json(), TABS), Err(LectureError::UnknownLesson { stop: 1, .. })));
        let mut l = two_stops();
        l.stops[0].title = " ".into();
        assert_eq!(parse(&l.to_json(), TABS), Err(LectureError::Untitled { stop: 1 }));
        let mut l = two_stops();
        l.stops[1].statement = "x".repeat(MAX_TEXT + 1);
        assert_eq!(parse(&l.to_json(), TABS), Err(LectureError::TooLong { stop: 2, field: "statement" }));
        let missing_title =
            r#"{"format": "latent-lab lecture", "version": 1, "title": "x", "stops": [{"lesson": "d-separation"}]}"#;
        assert!(matches!(parse(missing_title, TABS), Err(LectureError::Damaged(m)) if m.contains("title")));
    }

    #[test]
    fn model_references_are_found_in_any_part_and_only_plain_ones_are_copied() {
        let part =
            serde_json::json!({"models": ["a-ae.bpk", "a-vae.bpk"], "made": "m.json", "k": 5, "x": {"y": "h.bpk"}});
        let mut found = referenced_files(&part);
        found.sort();
        assert_eq!(found, ["a-ae.bpk", "a-ae.json", "a-vae.bpk", "a-vae.json", "h.bpk", "h.json", "m.json"]);
        assert!(is_plain_reference("sub/a.bpk"));
        assert!(!is_plain_reference("../a.bpk"));
        assert!(!is_plain_reference("/etc/a.bpk"));
    }

    #[test]
    fn too_many_stops_are_refused() {
        let mut l = Lecture::new("x");
        l.stops = vec![Stop::new("s", "Latent space"); MAX_STOPS + 1];
        assert_eq!(l.check(TABS), Err(LectureError::TooMany(MAX_STOPS + 1)));
    }

    #[test]
    fn stepping_stays_inside_the_lecture() {
        let l = two_stops();
        assert_eq!(l.next(0), 1);
        assert_eq!(l.next(1), 1);
        assert_eq!(Lecture::previous(1), 0);
        assert_eq!(Lecture::previous(0), 0);
        assert_eq!(l.progress(0), "stop 1 of 2");
    }

    #[test]
    fn editing_inserts_removes_and_moves_stops() {
        let mut l = two_stops();
        assert_eq!(l.insert_after(0, Stop::new("New", "Latent space")), 1);
        let titles = |l: &Lecture| l.stops.iter().map(|s| s.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&l), ["Codes", "New", "Chains"]);
        assert_eq!(l.move_stop(1, false), 2);
        assert_eq!(titles(&l), ["Codes", "Chains", "New"]);
        assert_eq!(l.move_stop(2, false), 2, "the last stop cannot move later");
        assert_eq!(l.move_stop(0, true), 0, "the first cannot move earlier");
        assert_eq!(l.remove(2), 1);
        assert_eq!(titles(&l), ["Codes", "Chains"]);
        assert_eq!(l.remove(0), 0);
        assert_eq!(l.remove(0), 0, "the last stop stays");
        assert_eq!(titles(&l), ["Chains"]);
        let mut empty = Lecture::new("x");
        assert_eq!(empty.insert_after(5, Stop::new("First", "Latent space")), 0);
    }
}
