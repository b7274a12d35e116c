//! Server-rendered pages. Each page is a struct with an askama template; every page carries a
//! [`Layout`] with what the base template needs.

pub mod account;
pub mod auth;
pub mod chart;
pub mod dashboard;
pub mod events;
pub mod guest;
pub mod home;
pub mod moderation;
pub mod photos;
pub mod zip;

use service::accounts::FieldProblem;

use crate::assets;
use crate::auth::CurrentMember;
use crate::i18n::Catalog;
use crate::security::CspNonce;

/// What `base.html` needs: the messages, the CSP nonce and the asset URLs.
#[derive(Debug)]
pub struct Layout {
    pub t: &'static Catalog,
    pub nonce: String,
    pub css: String,
    pub js: String,
    pub icon: String,
    /// The member's navigation; `None` for visitors.
    pub member: Option<MemberNav>,
    /// Guests' pages: no site navigation (no log in / sign up to distract at a party).
    pub guest: bool,
}

/// What the header shows a logged-in member.
#[derive(Debug)]
pub struct MemberNav {
    /// Which nav item is the current page (`dashboard`, `account`).
    pub current: &'static str,
    /// The logout form's token.
    pub csrf: String,
}

impl Layout {
    pub fn new(nonce: CspNonce) -> Self {
        Self {
            t: Catalog::english(),
            nonce: nonce.0,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("favicon.svg"),
            member: None,
            guest: false,
        }
    }

    /// The layout for a guest's page: the brand, nothing else in the header.
    pub fn for_guest(nonce: CspNonce) -> Self {
        Self {
            guest: true,
            ..Self::new(nonce)
        }
    }

    /// The layout for a member's page, with their navigation.
    pub fn for_member(nonce: CspNonce, member: &CurrentMember, current: &'static str) -> Self {
        Self {
            member: Some(MemberNav {
                current,
                csrf: member.session.csrf_token.clone(),
            }),
            ..Self::new(nonce)
        }
    }
}

/// One form field as shown again: what was typed (never a password) and its message.
#[derive(Debug, Default, Clone)]
pub struct Field {
    pub value: String,
    pub error: String,
}

impl Field {
    pub fn with_value(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            error: String::new(),
        }
    }
}

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

/// "in 3 minutes" / "in 40 seconds", for a wait.
pub fn wait_phrase(t: &Catalog, secs: i64) -> String {
    if secs >= 90 {
        let minutes = (secs + 59) / 60;
        t.get("time.in_minutes")
            .replace("{n}", &minutes.to_string())
    } else {
        t.get("time.in_seconds")
            .replace("{n}", &secs.max(1).to_string())
    }
}
