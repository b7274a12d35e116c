//! Sentences for the problems use cases report, from the catalogue: the same words on a page
//! and in the API.

use service::accounts::FieldProblem;
use service::events::EventFieldProblem;

use crate::i18n::Catalog;

/// The sentence for a field problem, from the catalogue.
pub fn field_message(t: &Catalog, problem: &FieldProblem) -> String {
    use domain::{ParseError, PasswordProblem};
    match problem {
        FieldProblem::Parse(ParseError::Empty) => t.get("form.required").to_owned(),
        FieldProblem::Parse(ParseError::TooLong { max }) => {
            t.get("form.too_long").replace("{max}", &max.to_string())
        }
        FieldProblem::Parse(ParseError::InvalidEmail) => t.get("form.invalid_email").to_owned(),
        FieldProblem::Parse(ParseError::ControlCharacters) => {
            t.get("form.control_chars").to_owned()
        }
        FieldProblem::Parse(ParseError::UnknownTimeZone) => t.get("form.unknown_zone").to_owned(),
        FieldProblem::Parse(ParseError::UnknownChoice) => t.get("form.unknown_choice").to_owned(),
        FieldProblem::Password(PasswordProblem::TooShort { min }) => t
            .get("password.too_short")
            .replace("{min}", &min.to_string()),
        FieldProblem::Password(PasswordProblem::TooLong { max }) => t
            .get("password.too_long")
            .replace("{max}", &max.to_string()),
        FieldProblem::Password(PasswordProblem::NeedsLetterAndNumber) => {
            t.get("password.letter_and_number").to_owned()
        }
        FieldProblem::Password(PasswordProblem::TooCommon) => {
            t.get("password.too_common").to_owned()
        }
        FieldProblem::EmailTaken => t.get("register.email_taken").to_owned(),
        FieldProblem::WrongPassword => t.get("account.wrong_password").to_owned(),
        FieldProblem::Mismatch => t.get("account.password_mismatch").to_owned(),
    }
}

/// The sentence for an event form problem.
pub fn event_field_message(t: &Catalog, p: &EventFieldProblem) -> String {
    use domain::event::{EventRuleProblem, SlugProblem};
    match p {
        EventFieldProblem::Parse(e) => {
            field_message(t, &service::accounts::FieldProblem::Parse(e.clone()))
        }
        EventFieldProblem::Slug(SlugProblem::TooShort { min }) => t
            .get("events.slug_short")
            .replace("{min}", &min.to_string()),
        EventFieldProblem::Slug(SlugProblem::TooLong { max }) => {
            t.get("form.too_long").replace("{max}", &max.to_string())
        }
        EventFieldProblem::Slug(SlugProblem::BadCharacters) => {
            t.get("events.slug_chars").to_owned()
        }
        EventFieldProblem::SlugTaken => t.get("events.slug_taken").to_owned(),
        EventFieldProblem::Rule(EventRuleProblem::EndsBeforeStart) => {
            t.get("events.ends_before_start").to_owned()
        }
        EventFieldProblem::Rule(EventRuleProblem::WindowReversed) => {
            t.get("events.window_reversed").to_owned()
        }
        EventFieldProblem::Rule(EventRuleProblem::WindowOutsideEvent) => {
            t.get("events.window_outside").to_owned()
        }
        EventFieldProblem::Rule(EventRuleProblem::OutOfRange { min, max }) => t
            .get("events.out_of_range")
            .replace("{min}", &min.to_string())
            .replace("{max}", &max.to_string()),
        EventFieldProblem::Rule(EventRuleProblem::TimeOutOfRange { first, last }) => t
            .get("events.time_out_of_range")
            .replace("{first}", &first.to_string())
            .replace("{last}", &last.to_string()),
        EventFieldProblem::BadDateTime => t.get("events.bad_datetime").to_owned(),
        EventFieldProblem::SkippedTime => t.get("events.skipped_time").to_owned(),
        EventFieldProblem::NotANumber => t.get("events.not_a_number").to_owned(),
    }
}
