//! Events: their parsed values (slug, time zone), their status and its transitions, and the
//! rules that tie their times and settings together.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::values::ParseError;

/// The part of an event's address that a host chooses (`anna-and-ben-2026`): lower-case
/// letters, digits and single hyphens, 3 to 60 characters. Unique within an organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventSlug(String);

/// Why a slug was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SlugProblem {
    #[error("at least {min} characters")]
    TooShort { min: usize },
    #[error("at most {max} characters")]
    TooLong { max: usize },
    #[error(
        "only lower-case letters, digits and hyphens, not at the start or end, never two in a row"
    )]
    BadCharacters,
}

impl EventSlug {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 60;

    pub fn parse(raw: &str) -> Result<Self, SlugProblem> {
        let s = raw.trim();
        if s.len() < Self::MIN_LEN {
            return Err(SlugProblem::TooShort { min: Self::MIN_LEN });
        }
        if s.len() > Self::MAX_LEN {
            return Err(SlugProblem::TooLong { max: Self::MAX_LEN });
        }
        let ok = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if !ok {
            return Err(SlugProblem::BadCharacters);
        }
        Ok(Self(s.to_owned()))
    }

    /// A slug made from a name: "Anna & Ben's Wedding!" → `anna-ben-s-wedding`. Accents are
    /// dropped to their base letter where that is simple; anything else becomes a hyphen.
    pub fn suggest(name: &str) -> Self {
        let mut out = String::new();
        for c in name.chars().flat_map(char::to_lowercase) {
            let c = match c {
                'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
                'ç' => 'c',
                'è' | 'é' | 'ê' | 'ë' => 'e',
                'ì' | 'í' | 'î' | 'ï' => 'i',
                'ñ' => 'n',
                'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
                'ù' | 'ú' | 'û' | 'ü' => 'u',
                'ý' | 'ÿ' => 'y',
                'ß' => 's',
                c => c,
            };
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
            if out.len() >= Self::MAX_LEN {
                break;
            }
        }
        let mut s = out.trim_matches('-').to_owned();
        while s.len() < Self::MIN_LEN {
            s.push_str(if s.is_empty() { "event" } else { "-1" });
        }
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EventSlug {
    type Error = SlugProblem;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<EventSlug> for String {
    fn from(s: EventSlug) -> String {
        s.0
    }
}

impl fmt::Display for EventSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IANA time zone (`Europe/Berlin`), the one the event happens in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventZone(pub chrono_tz::Tz);

impl EventZone {
    /// The zone a form starts with when the browser did not say its own.
    pub const UTC: Self = Self(chrono_tz::Tz::UTC);

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ParseError::Empty);
        }
        chrono_tz::Tz::from_str(s)
            .map(Self)
            .map_err(|_| ParseError::UnknownTimeZone)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Every zone a host may pick, for the form's list.
    pub fn all() -> impl Iterator<Item = &'static str> {
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .filter(|n| n.contains('/') && !n.starts_with("Etc/") || *n == "UTC")
    }
}

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    /// Being prepared: the guest link says "not open yet".
    Draft,
    /// Open: guests join and upload (within the upload window).
    Live,
    /// Over: viewing only, uploads closed.
    Ended,
    /// Put away: read-only, out of the default list.
    Archived,
}

impl EventStatus {
    pub const ALL: [EventStatus; 4] = [Self::Draft, Self::Live, Self::Ended, Self::Archived];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Live => "live",
            Self::Ended => "ended",
            Self::Archived => "archived",
        }
    }

    /// The statuses this one may move to: draft → live → ended → archived, and ended → live
    /// (reopen). Nothing goes back to draft, and archived is final.
    pub const fn can_become(self, next: EventStatus) -> bool {
        matches!(
            (self, next),
            (Self::Draft, Self::Live)
                | (Self::Live, Self::Ended)
                | (Self::Ended, Self::Live)
                | (Self::Ended, Self::Archived)
        )
    }

    pub fn next_options(self) -> Vec<EventStatus> {
        Self::ALL
            .into_iter()
            .filter(|n| self.can_become(*n))
            .collect()
    }
}

impl FromStr for EventStatus {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(ParseError::UnknownChoice)
    }
}

/// How to order an event list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventSort {
    /// Latest start first (the default: upcoming and recent events on top).
    #[default]
    StartsDesc,
    StartsAsc,
    NameAsc,
}

impl EventSort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "starts_desc" => Some(Self::StartsDesc),
            "starts_asc" => Some(Self::StartsAsc),
            "name" => Some(Self::NameAsc),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartsDesc => "starts_desc",
            Self::StartsAsc => "starts_asc",
            Self::NameAsc => "name",
        }
    }
}

/// What happens to a guest's photo when it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Moderation {
    /// Everyone sees it at once.
    Publish,
    /// The host approves it first.
    Approve,
}

impl Moderation {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Publish => "publish",
            Self::Approve => "approve",
        }
    }
}

impl FromStr for Moderation {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "publish" => Ok(Self::Publish),
            "approve" => Ok(Self::Approve),
            _ => Err(ParseError::UnknownChoice),
        }
    }
}

/// Whose photos a guest sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestVisibility {
    /// The shared gallery.
    Everyone,
    /// Only their own: a drop box for the host.
    Own,
}

impl GuestVisibility {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Own => "own",
        }
    }
}

impl FromStr for GuestVisibility {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "everyone" => Ok(Self::Everyone),
            "own" => Ok(Self::Own),
            _ => Err(ParseError::UnknownChoice),
        }
    }
}

/// How guests take part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSettings {
    pub uploads_enabled: bool,
    pub moderation: Moderation,
    /// Uploads are accepted from/until these instants (when set).
    pub upload_opens_at: Option<DateTime<Utc>>,
    pub upload_closes_at: Option<DateTime<Utc>>,
    pub max_photos_per_guest: u32,
    pub max_file_mb: u32,
    pub guest_name_required: bool,
    pub guest_visibility: GuestVisibility,
    pub guest_downloads: bool,
}

impl Default for EventSettings {
    fn default() -> Self {
        Self {
            uploads_enabled: true,
            moderation: Moderation::Publish,
            upload_opens_at: None,
            upload_closes_at: None,
            max_photos_per_guest: 200,
            max_file_mb: 30,
            guest_name_required: true,
            guest_visibility: GuestVisibility::Everyone,
            guest_downloads: true,
        }
    }
}

/// Limits on settings, shown on the form.
pub const MAX_PHOTOS_PER_GUEST: u32 = 5000;
pub const MAX_FILE_MB: u32 = 200;

/// A problem with an event's times or settings, on the field it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EventRuleProblem {
    #[error("the event must end after it starts")]
    EndsBeforeStart,
    #[error("uploads must close after they open")]
    WindowReversed,
    #[error("the upload window must overlap the event")]
    WindowOutsideEvent,
    #[error("between {min} and {max}")]
    OutOfRange { min: u32, max: u32 },
    /// A time outside the years [`crate::time::FIRST_YEAR`]..=[`crate::time::LAST_YEAR`].
    #[error("a time between the years {first} and {last}")]
    TimeOutOfRange { first: i32, last: i32 },
}

impl EventRuleProblem {
    /// The problem of a time outside the supported years.
    pub const TIME_OUT_OF_RANGE: Self = Self::TimeOutOfRange {
        first: crate::time::FIRST_YEAR,
        last: crate::time::LAST_YEAR,
    };
}

/// Checks times and settings together; each problem names its field.
pub fn check_event_rules(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    s: &EventSettings,
) -> Vec<(&'static str, EventRuleProblem)> {
    let mut out = Vec::new();
    for (field, t) in [
        ("starts_at", Some(starts_at)),
        ("ends_at", Some(ends_at)),
        ("upload_opens_at", s.upload_opens_at),
        ("upload_closes_at", s.upload_closes_at),
    ] {
        if let Some(t) = t
            && !crate::time::in_range(t)
        {
            out.push((field, EventRuleProblem::TIME_OUT_OF_RANGE));
        }
    }
    if ends_at <= starts_at {
        out.push(("ends_at", EventRuleProblem::EndsBeforeStart));
    }
    if let (Some(o), Some(c)) = (s.upload_opens_at, s.upload_closes_at)
        && c <= o
    {
        out.push(("upload_closes_at", EventRuleProblem::WindowReversed));
    }
    // The window may start before the event (guests arriving early) and run on after it (the
    // photos people share the next day), but it must overlap the event.
    if let Some(c) = s.upload_closes_at
        && c <= starts_at
    {
        out.push(("upload_closes_at", EventRuleProblem::WindowOutsideEvent));
    }
    if let Some(o) = s.upload_opens_at
        && o >= ends_at
    {
        out.push(("upload_opens_at", EventRuleProblem::WindowOutsideEvent));
    }
    if !(1..=MAX_PHOTOS_PER_GUEST).contains(&s.max_photos_per_guest) {
        out.push((
            "max_photos_per_guest",
            EventRuleProblem::OutOfRange {
                min: 1,
                max: MAX_PHOTOS_PER_GUEST,
            },
        ));
    }
    if !(1..=MAX_FILE_MB).contains(&s.max_file_mb) {
        out.push((
            "max_file_mb",
            EventRuleProblem::OutOfRange {
                min: 1,
                max: MAX_FILE_MB,
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn event_sorts_round_trip_through_their_names() {
        for sort in [
            EventSort::StartsDesc,
            EventSort::StartsAsc,
            EventSort::NameAsc,
        ] {
            assert_eq!(EventSort::parse(sort.as_str()), Some(sort));
        }
        assert_eq!(EventSort::parse("name"), Some(EventSort::NameAsc));
        assert_eq!(EventSort::parse("newest"), None);
        assert_eq!(EventSort::default(), EventSort::StartsDesc);
    }

    #[test]
    fn slugs() {
        for ok in ["abc", "anna-and-ben-2026", "x1y", &"a".repeat(60)] {
            assert_eq!(EventSlug::parse(ok).map(|s| s.0), Ok(ok.to_owned()), "{ok}");
        }
        assert_eq!(
            EventSlug::parse("ab"),
            Err(SlugProblem::TooShort { min: 3 })
        );
        assert_eq!(
            EventSlug::parse(&"a".repeat(61)),
            Err(SlugProblem::TooLong { max: 60 })
        );
        for bad in [
            "Anna", "anna_ben", "-anna", "anna-", "an--na", "an na", "ännä", "a/b",
        ] {
            assert_eq!(
                EventSlug::parse(bad),
                Err(SlugProblem::BadCharacters),
                "{bad}"
            );
        }
        assert_eq!(
            EventSlug::suggest("Anna & Ben's Wedding!").as_str(),
            "anna-ben-s-wedding"
        );
        assert_eq!(EventSlug::suggest("Fête à Noël").as_str(), "fete-a-noel");
        assert_eq!(EventSlug::suggest("!!").as_str(), "event");
        assert_eq!(EventSlug::suggest("Zo").as_str(), "zo-1");
        assert!(EventSlug::parse(EventSlug::suggest(&"Long name ".repeat(20)).as_str()).is_ok());
    }

    #[test]
    fn time_zones() {
        assert_eq!(
            EventZone::parse("Europe/Berlin").map(|z| z.name()),
            Ok("Europe/Berlin")
        );
        assert_eq!(
            EventZone::parse("Mars/Olympus"),
            Err(ParseError::UnknownTimeZone)
        );
        assert_eq!(EventZone::parse(""), Err(ParseError::Empty));
        assert!(EventZone::all().any(|z| z == "America/New_York"));
        assert!(EventZone::all().any(|z| z == "UTC"));
    }

    #[test]
    fn status_transitions_as_a_table() {
        use EventStatus::*;
        let allowed = [
            (Draft, Live),
            (Live, Ended),
            (Ended, Live),
            (Ended, Archived),
        ];
        for from in EventStatus::ALL {
            for to in EventStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        assert_eq!("ended".parse::<EventStatus>(), Ok(Ended));
        assert!("gone".parse::<EventStatus>().is_err());
    }

    #[test]
    fn times_and_windows() {
        let at = |h| Utc.with_ymd_and_hms(2026, 6, 20, h, 0, 0).single().unwrap();
        let s = EventSettings::default();
        assert!(check_event_rules(at(14), at(23), &s).is_empty());
        assert_eq!(
            check_event_rules(at(14), at(14), &s),
            vec![("ends_at", EventRuleProblem::EndsBeforeStart)]
        );
        let early_and_late = EventSettings {
            upload_opens_at: Some(at(10)),
            upload_closes_at: Some(at(23) + chrono::Duration::days(2)),
            ..s
        };
        assert!(check_event_rules(at(14), at(23), &early_and_late).is_empty());
        let reversed = EventSettings {
            upload_opens_at: Some(at(18)),
            upload_closes_at: Some(at(16)),
            ..s
        };
        assert!(
            check_event_rules(at(14), at(23), &reversed)
                .contains(&("upload_closes_at", EventRuleProblem::WindowReversed))
        );
        let before = EventSettings {
            upload_closes_at: Some(at(13)),
            ..s
        };
        assert_eq!(
            check_event_rules(at(14), at(23), &before),
            vec![("upload_closes_at", EventRuleProblem::WindowOutsideEvent)]
        );
        let after = EventSettings {
            upload_opens_at: Some(at(23)),
            ..s
        };
        assert_eq!(
            check_event_rules(at(14), at(23), &after),
            vec![("upload_opens_at", EventRuleProblem::WindowOutsideEvent)]
        );
        let silly = EventSettings {
            max_photos_per_guest: 0,
            max_file_mb: 500,
            ..s
        };
        assert_eq!(check_event_rules(at(14), at(23), &silly).len(), 2);
        let far = DateTime::<Utc>::MAX_UTC;
        assert_eq!(
            check_event_rules(at(14), far, &s),
            vec![("ends_at", EventRuleProblem::TIME_OUT_OF_RANGE)]
        );
        let ancient = EventSettings {
            upload_opens_at: Some(DateTime::<Utc>::MIN_UTC),
            ..s
        };
        assert_eq!(
            check_event_rules(at(14), at(23), &ancient),
            vec![("upload_opens_at", EventRuleProblem::TIME_OUT_OF_RANGE)]
        );
    }
}
