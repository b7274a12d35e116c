//! A lucky draw's published rules: who is entered and with how many tickets, and the words the
//! public page shows for them. The fairness math is in [`crate::draw`].

use serde::{Deserialize, Serialize};

/// The largest N or M a rule may name.
pub const MAX_RULE_NUMBER: u32 = 1_000;

/// How a guest's published photos become entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryRule {
    /// One entry per guest with at least `min_photos` published photos.
    PerGuest { min_photos: u32 },
    /// One ticket per published photo, at most `cap` per guest (a weighted entry).
    PerPhoto { cap: u32 },
}

impl Default for EntryRule {
    fn default() -> Self {
        EntryRule::PerGuest { min_photos: 1 }
    }
}

impl EntryRule {
    /// The stored kind (`per_guest` or `per_photo`) and its number.
    pub fn parts(self) -> (&'static str, u32) {
        match self {
            EntryRule::PerGuest { min_photos } => ("per_guest", min_photos),
            EntryRule::PerPhoto { cap } => ("per_photo", cap),
        }
    }

    /// The rule from its stored kind and number (None for anything else).
    pub fn from_parts(kind: &str, n: u32) -> Option<Self> {
        if !(1..=MAX_RULE_NUMBER).contains(&n) {
            return None;
        }
        match kind {
            "per_guest" => Some(EntryRule::PerGuest { min_photos: n }),
            "per_photo" => Some(EntryRule::PerPhoto { cap: n }),
            _ => None,
        }
    }

    /// How many tickets a guest with `published` photos in the gallery holds (0: not entered).
    pub fn tickets(self, published: u64) -> u32 {
        match self {
            EntryRule::PerGuest { min_photos } => u32::from(published >= u64::from(min_photos)),
            EntryRule::PerPhoto { cap } => u32::try_from(published.min(u64::from(cap)))
                .unwrap_or(cap)
                .min(cap),
        }
    }

    /// The rule in words, as the public page and the export publish it.
    pub fn describe(self) -> String {
        match self {
            EntryRule::PerGuest { min_photos: 1 } => {
                "One entry per guest with at least 1 photo in the gallery.".to_owned()
            }
            EntryRule::PerGuest { min_photos } => {
                format!("One entry per guest with at least {min_photos} photos in the gallery.")
            }
            EntryRule::PerPhoto { cap: 1 } => {
                "One entry per photo in the gallery, at most 1 per guest.".to_owned()
            }
            EntryRule::PerPhoto { cap } => format!(
                "One entry per photo in the gallery, at most {cap} per guest (each entry is a \
                 ticket: more photos, more chances)."
            ),
        }
    }
}

/// The published rules of a draw, in words: the entry rule and the exclusions.
pub fn rules_text(
    rule: EntryRule,
    exclude_earlier_winners: bool,
    excluded_guests: usize,
) -> String {
    let mut words = rule.describe();
    words.push_str(
        " Only photos still in the gallery when entries close count. Members of the organization \
         do not take part; walk-ins may be entered by hand.",
    );
    if exclude_earlier_winners {
        words.push_str(" Winners of the event's earlier draws are not entered.");
    }
    match excluded_guests {
        0 => {}
        1 => words.push_str(" 1 guest was excluded by the hosts."),
        n => words.push_str(&format!(" {n} guests were excluded by the hosts.")),
    }
    words.push_str(" Nobody can win twice in one draw.");
    words
}

/// A name as the big screen shows it when names are masked: the first name and the initial of
/// the last word ("Anna Berger" → "Anna B.").
pub fn mask_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    let Some(first) = words.next() else {
        return String::new();
    };
    match words.last().and_then(|w| w.chars().next()) {
        Some(initial) => format!("{first} {}.", initial.to_uppercase()),
        None => first.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_follow_the_rule() {
        let g = EntryRule::PerGuest { min_photos: 3 };
        assert_eq!([0, 2, 3, 9].map(|n| g.tickets(n)), [0, 0, 1, 1]);
        let p = EntryRule::PerPhoto { cap: 5 };
        assert_eq!([0, 1, 5, 500].map(|n| p.tickets(n)), [0, 1, 5, 5]);
        assert_eq!(EntryRule::from_parts("per_photo", 5), Some(p));
        assert_eq!(EntryRule::from_parts("per_photo", 0), None);
        assert_eq!(EntryRule::from_parts("other", 1), None);
    }

    #[test]
    fn names_mask_to_first_name_and_initial() {
        assert_eq!(mask_name("Anna Berger"), "Anna B.");
        assert_eq!(mask_name("  jean  luc  picard "), "jean P.");
        assert_eq!(mask_name("Cher"), "Cher");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name("Åsa östberg"), "Åsa Ö.");
    }
}
