//! The groups of controls a lecture stop can hide from students (classroom view). Pure: the app tells the
//! lessons (`lessons::classroom`).

/// A group of controls a lecture stop can hide, named in lecture files by [`Control::key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Train / Pause / Resume / Reset / Step on every tab that trains.
    Training,
    /// The seed fields.
    Seed,
    /// Saving and loading models.
    Files,
}

impl Control {
    pub const ALL: [Self; 3] = [Self::Training, Self::Seed, Self::Files];

    /// The name a lecture file uses.
    pub fn key(self) -> &'static str {
        match self {
            Self::Training => "training",
            Self::Seed => "seed",
            Self::Files => "files",
        }
    }

    /// What the stop editor calls it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Training => "Train / Pause / Step buttons",
            Self::Seed => "Seed fields",
            Self::Files => "Save / load model buttons",
        }
    }

    /// The control a lecture file names `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_each_control_once() {
        for control in Control::ALL {
            assert_eq!(Control::from_key(control.key()), Some(control));
        }
        assert_eq!(Control::from_key("everything"), None);
    }
}
