//! Invitations to an organization, and the single-use tokens sent by mail (invitations,
//! password resets, email verification). Invitations are tenant rows (under RLS); tokens are
//! global, like sessions, because a token is looked up before any tenant is known.

use std::future::Future;

use chrono::{DateTime, Utc};
use domain::{Email, InvitationId, Role, TenantId, UserId};
use uuid::Uuid;

use crate::sql::{Arg, On, execute, fetch_all, fetch_optional};
use crate::{Result, StoreError, Tx};

/// An invitation to join an organization with a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub tenant_id: TenantId,
    pub id: InvitationId,
    pub email: Email,
    pub role: Role,
    pub invited_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    /// When the last mail (the first, or a resend) went out; its token expires 7 days later.
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<UserId>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

impl InvitationState {
    pub const fn as_str(self) -> &'static str {
        match self {
            InvitationState::Pending => "pending",
            InvitationState::Accepted => "accepted",
            InvitationState::Expired => "expired",
            InvitationState::Revoked => "revoked",
        }
    }
}

impl Invitation {
    pub fn state(&self, now: DateTime<Utc>) -> InvitationState {
        if self.accepted_at.is_some() {
            InvitationState::Accepted
        } else if self.revoked_at.is_some() {
            InvitationState::Revoked
        } else if self.expires_at <= now {
            InvitationState::Expired
        } else {
            InvitationState::Pending
        }
    }
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    tenant_id: Uuid,
    id: Uuid,
    email: String,
    role: String,
    invited_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    sent_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    accepted_by: Option<Uuid>,
    revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = StoreError;
    fn try_from(r: InvitationRow) -> Result<Self> {
        Ok(Invitation {
            tenant_id: TenantId::from_uuid(r.tenant_id),
            id: InvitationId::from_uuid(r.id),
            email: Email::parse(&r.email).map_err(|e| StoreError::Corrupt {
                column: "invitations.email",
                reason: e.to_string(),
            })?,
            role: r
                .role
                .parse()
                .map_err(|e: domain::role::UnknownRole| StoreError::Corrupt {
                    column: "invitations.role",
                    reason: e.to_string(),
                })?,
            invited_by: r.invited_by.map(UserId::from_uuid),
            created_at: r.created_at,
            sent_at: r.sent_at,
            expires_at: r.expires_at,
            accepted_at: r.accepted_at,
            accepted_by: r.accepted_by.map(UserId::from_uuid),
            revoked_at: r.revoked_at,
        })
    }
}

const INVITATION_COLUMNS: &str = "tenant_id, id, email, role, invited_by, created_at, sent_at, \
     expires_at, accepted_at, accepted_by, revoked_at";

/// Invitations (need `Scope::Tenant`).
pub trait InvitationRepo {
    fn insert_invitation(
        &mut self,
        invitation: &Invitation,
    ) -> impl Future<Output = Result<()>> + Send;
    fn get_invitation(
        &mut self,
        tenant: TenantId,
        id: InvitationId,
    ) -> impl Future<Output = Result<Option<Invitation>>> + Send;
    /// The newest first, at most `limit`.
    fn list_invitations(
        &mut self,
        tenant: TenantId,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Invitation>>> + Send;
    /// Invitations for `email` not accepted, revoked or expired.
    fn pending_invitations_for(
        &mut self,
        tenant: TenantId,
        email: &Email,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Invitation>>> + Send;
    /// A new mail went out: its send time and expiry.
    fn set_invitation_sent(
        &mut self,
        tenant: TenantId,
        id: InvitationId,
        sent_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Marks a pending invitation revoked; false when it was not pending.
    fn revoke_invitation(
        &mut self,
        tenant: TenantId,
        id: InvitationId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Marks a pending invitation accepted by `user`; false when it was not pending.
    fn accept_invitation(
        &mut self,
        tenant: TenantId,
        id: InvitationId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
}

impl InvitationRepo for Tx {
    async fn insert_invitation(&mut self, i: &Invitation) -> Result<()> {
        execute(
            self,
            i.tenant_id,
            &format!(
                "INSERT INTO invitations ({INVITATION_COLUMNS}) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            &[
                Arg::Uuid(i.tenant_id.as_uuid()),
                Arg::Uuid(i.id.as_uuid()),
                Arg::Text(i.email.as_str().to_owned()),
                Arg::Text(i.role.as_str().to_owned()),
                Arg::OptUuid(i.invited_by.map(|v| v.as_uuid())),
                Arg::Time(i.created_at),
                Arg::Time(i.sent_at),
                Arg::Time(i.expires_at),
                Arg::OptTime(i.accepted_at),
                Arg::OptUuid(i.accepted_by.map(|v| v.as_uuid())),
                Arg::OptTime(i.revoked_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn get_invitation(
        &mut self,
        tenant: TenantId,
        id: InvitationId,
    ) -> Result<Option<Invitation>> {
        let row: Option<InvitationRow> = fetch_optional(
            self,
            tenant,
            &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE tenant_id = ? AND id = ?"),
            &[Arg::Uuid(tenant.as_uuid()), Arg::Uuid(id.as_uuid())],
        )
        .await?;
        row.map(Invitation::try_from).transpose()
    }

    async fn list_invitations(&mut self, tenant: TenantId, limit: i64) -> Result<Vec<Invitation>> {
        let rows: Vec<InvitationRow> = fetch_all(
            self,
            tenant,
            &format!(
                "SELECT {INVITATION_COLUMNS} FROM invitations WHERE tenant_id = ? \
                 ORDER BY created_at DESC, id DESC LIMIT ?"
            ),
            &[Arg::Uuid(tenant.as_uuid()), Arg::Int(limit)],
        )
        .await?;
        rows.into_iter().map(Invitation::try_from).collect()
    }

    async fn pending_invitations_for(
        &mut self,
        tenant: TenantId,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<Vec<Invitation>> {
        let rows: Vec<InvitationRow> = fetch_all(
            self,
            tenant,
            &format!(
                "SELECT {INVITATION_COLUMNS} FROM invitations WHERE tenant_id = ? AND email = ? \
                 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?"
            ),
            &[
                Arg::Uuid(tenant.as_uuid()),
                Arg::Text(email.as_str().to_owned()),
                Arg::Time(now),
            ],
        )
        .await?;
        rows.into_iter().map(Invitation::try_from).collect()
    }

    async fn set_invitation_sent(
        &mut self,
        tenant: TenantId,
        id: InvitationId,
        sent_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE invitations SET sent_at = ?, expires_at = ? WHERE tenant_id = ? AND id = ? \
             AND accepted_at IS NULL AND revoked_at IS NULL",
            &[
                Arg::Time(sent_at),
                Arg::Time(expires_at),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(id.as_uuid()),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn revoke_invitation(
        &mut self,
        tenant: TenantId,
        id: InvitationId,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE invitations SET revoked_at = ? WHERE tenant_id = ? AND id = ? \
             AND accepted_at IS NULL AND revoked_at IS NULL",
            &[
                Arg::Time(now),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(id.as_uuid()),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn accept_invitation(
        &mut self,
        tenant: TenantId,
        id: InvitationId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = execute(
            self,
            tenant,
            "UPDATE invitations SET accepted_at = ?, accepted_by = ? WHERE tenant_id = ? \
             AND id = ? AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
            &[
                Arg::Time(now),
                Arg::Uuid(user.as_uuid()),
                Arg::Uuid(tenant.as_uuid()),
                Arg::Uuid(id.as_uuid()),
                Arg::Time(now),
            ],
        )
        .await?;
        Ok(n == 1)
    }
}

/// What a mailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    Invitation,
    PasswordReset,
    VerifyEmail,
}

impl TokenPurpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Invitation => "invitation",
            TokenPurpose::PasswordReset => "password_reset",
            TokenPurpose::VerifyEmail => "verify_email",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "invitation" => Ok(TokenPurpose::Invitation),
            "password_reset" => Ok(TokenPurpose::PasswordReset),
            "verify_email" => Ok(TokenPurpose::VerifyEmail),
            other => Err(StoreError::Corrupt {
                column: "mail_tokens.purpose",
                reason: format!("unknown purpose {other:?}"),
            }),
        }
    }
}

/// A single-use token sent by mail, as stored (only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailToken {
    pub token_hash: String,
    pub purpose: TokenPurpose,
    /// The person it acts for (password reset, verification); `None` for invitations.
    pub user_id: Option<UserId>,
    pub tenant_id: Option<TenantId>,
    pub invitation_id: Option<InvitationId>,
    /// The address it was sent to.
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl MailToken {
    /// Not used and not expired.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

#[derive(sqlx::FromRow)]
struct MailTokenRow {
    token_hash: String,
    purpose: String,
    user_id: Option<Uuid>,
    tenant_id: Option<Uuid>,
    invitation_id: Option<Uuid>,
    email: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
}

const TOKEN_COLUMNS: &str = "token_hash, purpose, user_id, tenant_id, invitation_id, email, \
     created_at, expires_at, used_at";

/// Mailed tokens (global: any scope).
pub trait MailTokenRepo {
    fn insert_mail_token(&mut self, token: &MailToken) -> impl Future<Output = Result<()>> + Send;
    fn find_mail_token(
        &mut self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<MailToken>>> + Send;
    /// Uses a live token once: true for the one caller that used it.
    fn use_mail_token(
        &mut self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Ends every live token of a person for `purpose` (a new one was sent, or it was used).
    fn void_user_tokens(
        &mut self,
        user: UserId,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Ends every live token of an invitation (resent or revoked).
    fn void_invitation_tokens(
        &mut self,
        invitation: InvitationId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64>> + Send;
    /// Deletes tokens that expired before `before`.
    fn delete_expired_mail_tokens(
        &mut self,
        before: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64>> + Send;
}

impl MailTokenRepo for Tx {
    async fn insert_mail_token(&mut self, t: &MailToken) -> Result<()> {
        execute(
            self,
            On::Any,
            &format!(
                "INSERT INTO mail_tokens ({TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ),
            &[
                Arg::Text(t.token_hash.clone()),
                Arg::Text(t.purpose.as_str().to_owned()),
                Arg::OptUuid(t.user_id.map(|v| v.as_uuid())),
                Arg::OptUuid(t.tenant_id.map(|v| v.as_uuid())),
                Arg::OptUuid(t.invitation_id.map(|v| v.as_uuid())),
                Arg::Text(t.email.clone()),
                Arg::Time(t.created_at),
                Arg::Time(t.expires_at),
                Arg::OptTime(t.used_at),
            ],
        )
        .await?;
        Ok(())
    }

    async fn find_mail_token(&mut self, token_hash: &str) -> Result<Option<MailToken>> {
        let row: Option<MailTokenRow> = fetch_optional(
            self,
            On::Any,
            &format!("SELECT {TOKEN_COLUMNS} FROM mail_tokens WHERE token_hash = ?"),
            &[Arg::Text(token_hash.to_owned())],
        )
        .await?;
        row.map(|r| {
            Ok(MailToken {
                purpose: TokenPurpose::parse(&r.purpose)?,
                token_hash: r.token_hash,
                user_id: r.user_id.map(UserId::from_uuid),
                tenant_id: r.tenant_id.map(TenantId::from_uuid),
                invitation_id: r.invitation_id.map(InvitationId::from_uuid),
                email: r.email,
                created_at: r.created_at,
                expires_at: r.expires_at,
                used_at: r.used_at,
            })
        })
        .transpose()
    }

    async fn use_mail_token(&mut self, token_hash: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = execute(
            self,
            On::Any,
            "UPDATE mail_tokens SET used_at = ? \
             WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            &[
                Arg::Time(now),
                Arg::Text(token_hash.to_owned()),
                Arg::Time(now),
            ],
        )
        .await?;
        Ok(n == 1)
    }

    async fn void_user_tokens(
        &mut self,
        user: UserId,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        execute(
            self,
            On::Any,
            "UPDATE mail_tokens SET used_at = ? \
             WHERE user_id = ? AND purpose = ? AND used_at IS NULL",
            &[
                Arg::Time(now),
                Arg::Uuid(user.as_uuid()),
                Arg::Text(purpose.as_str().to_owned()),
            ],
        )
        .await
    }

    async fn void_invitation_tokens(
        &mut self,
        invitation: InvitationId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        execute(
            self,
            On::Any,
            "UPDATE mail_tokens SET used_at = ? WHERE invitation_id = ? AND used_at IS NULL",
            &[Arg::Time(now), Arg::Uuid(invitation.as_uuid())],
        )
        .await
    }

    async fn delete_expired_mail_tokens(&mut self, before: DateTime<Utc>) -> Result<u64> {
        execute(
            self,
            On::Any,
            "DELETE FROM mail_tokens WHERE expires_at < ?",
            &[Arg::Time(before)],
        )
        .await
    }
}
