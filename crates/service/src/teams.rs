//! The team of an organization: its members (roles, deactivation, removal) and invitations by
//! email. Every use case checks who is acting with [`Role::may_manage`] / [`Role::may_grant`]
//! (the permission rules in `domain`) and writes the audit log in the same transaction.

use chrono::{DateTime, Duration, Utc};
use domain::{Action, Actor, Email, InvitationId, PersonName, Role, TenantId, UserId};
use serde_json::json;
use store::{
    AuditRepo, Invitation, InvitationRepo, MailToken, MailTokenRepo, Membership, MembershipRepo,
    NewAuditEntry, Scope, StoreError, TeamMember, Tenant, TenantRepo, TokenPurpose, TwoFactorRepo,
    Tx, User, UserRepo,
};

use crate::accounts::{self, Account, AccountError, FieldProblem, random_token, token_hash};
use crate::{Ctx, Services, notify};

/// How long an invitation's link works.
pub const INVITATION_LIFETIME: Duration = Duration::days(7);
/// The most invitations the members page lists.
pub const INVITATIONS_LISTED: i64 = 200;

/// Why a team change was refused.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("not allowed")]
    Denied,
    #[error("not found")]
    NotFound,
    /// A field is wrong: (field, problem).
    #[error("invalid input")]
    Invalid(Vec<(&'static str, FieldProblem)>),
    /// The organization would be left without an active owner.
    #[error("the last owner cannot be removed, deactivated or demoted")]
    LastOwner,
    /// A member cannot deactivate themselves (they would be locked out at once).
    #[error("you cannot deactivate yourself")]
    SelfDeactivation,
    /// The address already belongs to a member.
    #[error("already a member")]
    AlreadyMember,
    /// Inviting needs a verified address first.
    #[error("verify your email address first")]
    Unverified,
    /// The invitation's link no longer works (used, revoked, expired or unknown).
    #[error("the invitation is no longer valid")]
    InvitationGone,
    /// The invitation is for another address than the account that is logged in.
    #[error("the invitation is for another address")]
    WrongAccount,
    /// The organization's plan has no seat left (members and open invitations).
    #[error(transparent)]
    LimitReached(#[from] crate::usage::LimitReached),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<domain::Denied> for TeamError {
    fn from(_: domain::Denied) -> Self {
        TeamError::Denied
    }
}

/// The acting member's id and role, or `Denied` (guests and the system have no team role).
fn acting(ctx: &Ctx, action: Action) -> Result<(UserId, Role), TeamError> {
    ctx.require(action)?;
    match ctx.actor {
        Actor::Member { user, role } => Ok((user, role)),
        _ => Err(TeamError::Denied),
    }
}

async fn audit(
    tx: &mut Tx,
    tenant: TenantId,
    actor: Option<UserId>,
    action: &str,
    subject: String,
    details: serde_json::Value,
) -> Result<(), StoreError> {
    tx.append_audit(
        tenant,
        &NewAuditEntry {
            actor,
            action: action.to_owned(),
            subject: Some(subject),
            details,
        },
    )
    .await
    .map(|_| ())
}

/// What the members page shows.
#[derive(Debug, Clone)]
pub struct Team {
    pub members: Vec<TeamMember>,
    /// Empty unless the viewer may manage members.
    pub invitations: Vec<Invitation>,
    /// The viewer's own role (what they may do on the page).
    pub role: Role,
    pub me: UserId,
    /// Whether the viewer's address is verified (inviting needs it).
    pub verified: bool,
    /// The members who have two-factor sign-in on.
    pub two_factor: Vec<UserId>,
    /// Whether the organization requires two-factor sign-in of everyone.
    pub two_factor_required: bool,
}

/// The organization's members (every member may see who is on the team) and, for those who
/// manage members, its invitations.
pub async fn team(services: &Services, ctx: &Ctx) -> Result<Team, TeamError> {
    let (me, role) = acting(ctx, Action::ViewEvents)?;
    let mut tx = services.db.begin_read(Scope::Tenant(ctx.tenant)).await?;
    let members = tx.list_team(ctx.tenant).await?;
    let invitations = if role.can(Action::ManageMembers) {
        tx.list_invitations(ctx.tenant, INVITATIONS_LISTED).await?
    } else {
        Vec::new()
    };
    let verified = tx
        .get_user(me)
        .await?
        .is_some_and(|u| u.email_verified_at.is_some());
    let ids: Vec<UserId> = members.iter().map(|m| m.membership.user_id).collect();
    let two_factor = tx.users_with_two_factor(&ids).await?;
    let two_factor_required = tx.two_factor_policy(ctx.tenant, me).await?.required;
    tx.commit().await?;
    Ok(Team {
        members,
        invitations,
        role,
        me,
        verified,
        two_factor,
        two_factor_required,
    })
}

/// The target's membership, if the actor may manage them.
async fn managed(
    tx: &mut Tx,
    ctx: &Ctx,
    actor_role: Role,
    target: UserId,
) -> Result<Membership, TeamError> {
    let m = tx
        .get_membership(ctx.tenant, target)
        .await?
        .ok_or(TeamError::NotFound)?;
    if !actor_role.may_manage(m.role) {
        return Err(TeamError::Denied);
    }
    Ok(m)
}

/// Refuses a new seat (an invitation, a reactivation) the plan has no room for.
async fn seat_left(services: &Services, tx: &mut Tx, tenant: TenantId) -> Result<(), TeamError> {
    crate::usage::ensure_room(
        services,
        tx,
        tenant,
        &[(domain::plan::Resource::Members, 1)],
    )
    .await
    .map_err(|e| e.into_error(|| TeamError::Denied))
}

/// Refuses a change that would leave no active owner.
async fn keep_an_owner(tx: &mut Tx, tenant: TenantId, m: &Membership) -> Result<(), TeamError> {
    if m.role == Role::Owner && m.is_active() && tx.count_active_owners(tenant).await? <= 1 {
        return Err(TeamError::LastOwner);
    }
    Ok(())
}

/// Gives a member another role.
pub async fn change_role(
    services: &Services,
    ctx: &Ctx,
    target: UserId,
    role: Role,
) -> Result<(), TeamError> {
    let (me, my_role) = acting(ctx, Action::ManageMembers)?;
    if !my_role.may_grant(role) {
        return Err(TeamError::Denied);
    }
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let m = managed(&mut tx, ctx, my_role, target).await?;
    if m.role == role {
        tx.commit().await?;
        return Ok(());
    }
    if role != Role::Owner {
        keep_an_owner(&mut tx, ctx.tenant, &m).await?;
    }
    tx.set_member_role(ctx.tenant, target, role).await?;
    audit(
        &mut tx,
        ctx.tenant,
        Some(me),
        "member.role_changed",
        format!("user:{target}"),
        json!({ "from": m.role.as_str(), "to": role.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deactivates a member (they can no longer log in here; their sessions end at their next
/// request) or reactivates them.
pub async fn set_active(
    services: &Services,
    ctx: &Ctx,
    target: UserId,
    active: bool,
) -> Result<(), TeamError> {
    let (me, my_role) = acting(ctx, Action::ManageMembers)?;
    if target == me && !active {
        return Err(TeamError::SelfDeactivation);
    }
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let m = managed(&mut tx, ctx, my_role, target).await?;
    if m.is_active() == active {
        tx.commit().await?;
        return Ok(());
    }
    if active {
        seat_left(services, &mut tx, ctx.tenant).await?;
    } else {
        keep_an_owner(&mut tx, ctx.tenant, &m).await?;
    }
    tx.set_member_deactivated(ctx.tenant, target, (!active).then_some(ctx.now))
        .await?;
    audit(
        &mut tx,
        ctx.tenant,
        Some(me),
        if active {
            "member.reactivated"
        } else {
            "member.deactivated"
        },
        format!("user:{target}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member from the organization (their account stays; they can be invited again).
pub async fn remove_member(
    services: &Services,
    ctx: &Ctx,
    target: UserId,
) -> Result<(), TeamError> {
    let (me, my_role) = acting(ctx, Action::ManageMembers)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let m = managed(&mut tx, ctx, my_role, target).await?;
    keep_an_owner(&mut tx, ctx.tenant, &m).await?;
    tx.delete_membership(ctx.tenant, target).await?;
    audit(
        &mut tx,
        ctx.tenant,
        Some(me),
        "member.removed",
        format!("user:{target}"),
        json!({ "role": m.role.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new invitation token: (the token for the link, its stored record).
fn new_token(tenant: TenantId, invitation: &Invitation, now: DateTime<Utc>) -> (String, MailToken) {
    let token = random_token();
    let record = MailToken {
        token_hash: token_hash(&token),
        purpose: TokenPurpose::Invitation,
        user_id: None,
        tenant_id: Some(tenant),
        invitation_id: Some(invitation.id),
        email: invitation.email.as_str().to_owned(),
        created_at: now,
        expires_at: now + INVITATION_LIFETIME,
        used_at: None,
    };
    (token, record)
}

/// Stores a new token for `invitation` and queues the mail with its link, in `tx`.
async fn mail_invitation(
    tx: &mut Tx,
    tenant: &Tenant,
    inviter: &User,
    invitation: &Invitation,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (token, record) = new_token(tenant.id, invitation, now);
    tx.insert_mail_token(&record).await?;
    notify::invitation(
        tx,
        tenant,
        inviter,
        invitation,
        &invitation_url(base_url, &token),
    )
    .await
}

/// The link an invitation's mail carries.
pub fn invitation_url(base_url: &str, token: &str) -> String {
    format!("{}/invitations/{token}", base_url.trim_end_matches('/'))
}

/// The actor's account and organization, for a mail they send.
async fn sender(tx: &mut Tx, ctx: &Ctx, me: UserId) -> Result<(User, Tenant), TeamError> {
    let user = tx.get_user(me).await?.ok_or(TeamError::Denied)?;
    let tenant = tx
        .get_tenant(ctx.tenant)
        .await?
        .ok_or(TeamError::NotFound)?;
    Ok((user, tenant))
}

/// Invites `email` with `role`: an invitation, a single-use token (stored hashed) valid for
/// seven days, and the mail with its link, all in one transaction. A pending invitation to
/// the same address is replaced (its link stops working).
pub async fn invite(
    services: &Services,
    ctx: &Ctx,
    email: &str,
    role: Role,
    base_url: &str,
) -> Result<Invitation, TeamError> {
    let (me, my_role) = acting(ctx, Action::ManageMembers)?;
    if !my_role.may_grant(role) {
        return Err(TeamError::Denied);
    }
    let email = Email::parse(email)
        .map_err(|e| TeamError::Invalid(vec![("email", FieldProblem::Parse(e))]))?;
    let now = ctx.now;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let (inviter, tenant) = sender(&mut tx, ctx, me).await?;
    if inviter.email_verified_at.is_none() {
        return Err(TeamError::Unverified);
    }
    if let Some(existing) = tx.find_user_by_email(&email).await?
        && tx.get_membership(ctx.tenant, existing.id).await?.is_some()
    {
        return Err(TeamError::AlreadyMember);
    }
    for old in tx.pending_invitations_for(ctx.tenant, &email, now).await? {
        tx.revoke_invitation(ctx.tenant, old.id, now).await?;
        tx.void_invitation_tokens(old.id, now).await?;
    }
    seat_left(services, &mut tx, ctx.tenant).await?;
    let invitation = Invitation {
        tenant_id: ctx.tenant,
        id: InvitationId::new(),
        email,
        role,
        invited_by: Some(me),
        created_at: now,
        sent_at: now,
        expires_at: now + INVITATION_LIFETIME,
        accepted_at: None,
        accepted_by: None,
        revoked_at: None,
    };
    tx.insert_invitation(&invitation).await?;
    mail_invitation(&mut tx, &tenant, &inviter, &invitation, base_url, now).await?;
    audit(
        &mut tx,
        ctx.tenant,
        Some(me),
        "invitation.sent",
        format!("invitation:{}", invitation.id),
        json!({ "role": role.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(invitation)
}

/// Sends a pending (or expired) invitation again with a new link; the old link stops working.
pub async fn resend_invitation(
    services: &Services,
    ctx: &Ctx,
    id: InvitationId,
    base_url: &str,
) -> Result<Invitation, TeamError> {
    let (me, my_role) = acting(ctx, Action::ManageMembers)?;
    let now = ctx.now;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let mut invitation = tx
        .get_invitation(ctx.tenant, id)
        .await?
        .ok_or(TeamError::NotFound)?;
    if !my_role.may_grant(invitation.role) {
        return Err(TeamError::Denied);
    }
    if invitation.accepted_at.is_some() || invitation.revoked_at.is_some() {
        return Err(TeamError::InvitationGone);
    }
    let (inviter, tenant) = sender(&mut tx, ctx, me).await?;
    if inviter.email_verified_at.is_none() {
        return Err(TeamError::Unverified);
    }
    tx.void_invitation_tokens(id, now).await?;
    invitation.sent_at = now;
    invitation.expires_at = now + INVITATION_LIFETIME;
    tx.set_invitation_sent(ctx.tenant, id, invitation.sent_at, invitation.expires_at)
        .await?;
    mail_invitation(&mut tx, &tenant, &inviter, &invitation, base_url, now).await?;
    audit(
        &mut tx,
        ctx.tenant,
        Some(me),
        "invitation.resent",
        format!("invitation:{id}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(invitation)
}

/// Revokes a pending invitation: its link stops working.
pub async fn revoke_invitation(
    services: &Services,
    ctx: &Ctx,
    id: InvitationId,
) -> Result<(), TeamError> {
    let (me, my_role) = acting(ctx, Action::ManageMembers)?;
    let mut tx = services.db.begin(Scope::Tenant(ctx.tenant)).await?;
    let invitation = tx
        .get_invitation(ctx.tenant, id)
        .await?
        .ok_or(TeamError::NotFound)?;
    if !my_role.may_grant(invitation.role) {
        return Err(TeamError::Denied);
    }
    if !tx.revoke_invitation(ctx.tenant, id, ctx.now).await? {
        return Err(TeamError::InvitationGone);
    }
    tx.void_invitation_tokens(id, ctx.now).await?;
    audit(
        &mut tx,
        ctx.tenant,
        Some(me),
        "invitation.revoked",
        format!("invitation:{id}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the invitation page shows before it is accepted.
#[derive(Debug, Clone)]
pub struct InvitationView {
    pub invitation: Invitation,
    pub tenant: Tenant,
    pub inviter: Option<PersonName>,
    /// Whether an account with the invited address exists (then: log in to accept).
    pub account_exists: bool,
}

/// The live invitation behind a link's token (the token, the invitation and its tenant).
async fn live_invitation(
    services: &Services,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(MailToken, Invitation, Tenant), TeamError> {
    let hash = token_hash(token);
    let mut tx = services.db.begin_read(Scope::System).await?;
    let record = tx.find_mail_token(&hash).await?;
    tx.commit().await?;
    let Some(record) = record.filter(|t| t.purpose == TokenPurpose::Invitation && t.is_live(now))
    else {
        return Err(TeamError::InvitationGone);
    };
    let (Some(tenant_id), Some(id)) = (record.tenant_id, record.invitation_id) else {
        return Err(TeamError::InvitationGone);
    };
    let mut tx = services.db.begin_read(Scope::Tenant(tenant_id)).await?;
    let invitation = tx.get_invitation(tenant_id, id).await?;
    let tenant = tx.get_tenant(tenant_id).await?;
    tx.commit().await?;
    match (invitation, tenant) {
        (Some(i), Some(t)) if i.state(now) == store::InvitationState::Pending => Ok((record, i, t)),
        _ => Err(TeamError::InvitationGone),
    }
}

/// The invitation a link opens, for the page that accepts it.
pub async fn view_invitation(
    services: &Services,
    token: &str,
) -> Result<InvitationView, TeamError> {
    let now = services.now();
    let (_, invitation, tenant) = live_invitation(services, token, now).await?;
    let mut tx = services.db.begin_read(Scope::System).await?;
    let inviter = match invitation.invited_by {
        Some(u) => tx.get_user(u).await?.map(|u| u.name),
        None => None,
    };
    let account_exists = tx.find_user_by_email(&invitation.email).await?.is_some();
    tx.commit().await?;
    Ok(InvitationView {
        invitation,
        tenant,
        inviter,
        account_exists,
    })
}

/// Joins the invitation's organization with its role, in `tx` (scoped to that tenant): uses
/// the token once, marks the invitation accepted, adds the membership, writes the audit log.
async fn join(
    tx: &mut Tx,
    record: &MailToken,
    invitation: &Invitation,
    user: &User,
    now: DateTime<Utc>,
) -> Result<(), TeamError> {
    if !tx.use_mail_token(&record.token_hash, now).await?
        || !tx
            .accept_invitation(invitation.tenant_id, invitation.id, user.id, now)
            .await?
    {
        return Err(TeamError::InvitationGone);
    }
    match tx
        .insert_membership(
            invitation.tenant_id,
            &Membership::new(invitation.tenant_id, user.id, invitation.role, now),
        )
        .await
    {
        Err(StoreError::Conflict(_)) => return Err(TeamError::AlreadyMember),
        other => other?,
    }
    audit(
        tx,
        invitation.tenant_id,
        Some(user.id),
        "invitation.accepted",
        format!("invitation:{}", invitation.id),
        json!({ "role": invitation.role.as_str() }),
    )
    .await?;
    Ok(())
}

/// The sign-up form of someone invited (the address comes from the invitation).
#[derive(Debug, Clone)]
pub struct InvitedSignUp<'a> {
    pub name: &'a str,
    pub password: &'a str,
}

/// Accepts an invitation for a new person: their account (the address verified by the
/// invitation's mail) and the membership, in one transaction.
pub async fn accept_as_new(
    services: &Services,
    token: &str,
    form: &InvitedSignUp<'_>,
) -> Result<Account, TeamError> {
    let now = services.now();
    let (record, invitation, tenant) = live_invitation(services, token, now).await?;
    let mut errors = Vec::new();
    let name = match PersonName::parse(form.name) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(("name", FieldProblem::Parse(e)));
            None
        }
    };
    if let Err(p) = domain::password::check_new_password(
        form.password,
        &[form.name, invitation.email.as_str(), tenant.name.as_str()],
    ) {
        errors.push(("password", FieldProblem::Password(p)));
    }
    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(TeamError::Invalid(errors));
    };
    let hash = accounts::hash_password(form.password).await?;
    let user = User {
        id: UserId::new(),
        email: invitation.email.clone(),
        name,
        password_hash: Some(hash),
        email_verified_at: Some(now),
        created_at: now,
        updated_at: now,
    };
    let mut tx = services.db.begin(Scope::Tenant(tenant.id)).await?;
    match tx.insert_user(&user).await {
        // Signed up meanwhile: they log in and accept as a member.
        Err(StoreError::Conflict(_)) => return Err(TeamError::WrongAccount),
        other => other?,
    }
    join(&mut tx, &record, &invitation, &user, now).await?;
    tx.commit().await?;
    Ok(Account {
        user,
        tenant,
        role: invitation.role,
    })
}

/// Accepts an invitation for the person logged in: they join the organization. The invitation
/// must be for their address (the link proves that address, not another).
pub async fn accept_as_member(
    services: &Services,
    token: &str,
    user: &User,
) -> Result<Account, TeamError> {
    let now = services.now();
    let (record, invitation, tenant) = live_invitation(services, token, now).await?;
    if invitation.email != user.email {
        return Err(TeamError::WrongAccount);
    }
    let mut tx = services.db.begin(Scope::Tenant(tenant.id)).await?;
    join(&mut tx, &record, &invitation, user, now).await?;
    // The mail reached them: their address is proven.
    tx.set_email_verified(user.id, now).await?;
    tx.commit().await?;
    Ok(Account {
        user: user.clone(),
        tenant,
        role: invitation.role,
    })
}
