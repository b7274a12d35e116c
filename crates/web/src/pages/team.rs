//! The team: the members page (members, roles, invitations, the permissions table) and the
//! page an invitation's link opens.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::{Action, InvitationId, Role, UserId};
use serde::Deserialize;
use service::teams::{self, InvitedSignUp, TeamError};

use crate::auth::{
    ClientIp, CsrfForm, CurrentMember, FormToken, SessionCtx, enforce_limit, limits,
};
use crate::extract::{Path, Query};
use crate::i18n::Catalog;
use crate::links::mail_base_url;
use crate::messages::field_message;
use crate::pages::auth::log_in;
use crate::pages::{Field, Layout};
use crate::security::CspNonce;
use crate::{AppState, WebError};

fn render(t: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(t.render().map_err(WebError::internal)?))
}

/// The sentence for a refused team change.
fn team_error(e: TeamError) -> WebError {
    let t = Catalog::current();
    let reject = |status, code, key: &str| WebError::Rejected {
        status,
        code,
        message: t.get(key).to_owned(),
    };
    match e {
        TeamError::Denied => reject(StatusCode::FORBIDDEN, "forbidden", "team.denied"),
        TeamError::NotFound => WebError::NotFound,
        TeamError::LastOwner => reject(StatusCode::CONFLICT, "last_owner", "team.last_owner"),
        TeamError::SelfDeactivation => reject(
            StatusCode::CONFLICT,
            "self_deactivation",
            "team.self_deactivation",
        ),
        TeamError::AlreadyMember => reject(
            StatusCode::CONFLICT,
            "already_member",
            "team.already_member",
        ),
        TeamError::Unverified => reject(StatusCode::FORBIDDEN, "unverified", "team.unverified"),
        TeamError::InvitationGone => reject(StatusCode::GONE, "invitation_gone", "invitation.gone"),
        TeamError::WrongAccount => reject(
            StatusCode::CONFLICT,
            "wrong_account",
            "invitation.wrong_account",
        ),
        TeamError::Invalid(problems) => WebError::Invalid {
            fields: problems
                .iter()
                .map(|(f, p)| (*f, field_message(t, p)))
                .collect(),
        },
        TeamError::LimitReached(l) => l.into(),
        TeamError::Account(e) => WebError::internal(e),
        TeamError::Store(e) => e.into(),
    }
}

/// A member as the page lists them.
#[derive(Debug)]
struct MemberRow {
    id: String,
    name: String,
    email: String,
    role: Role,
    role_label: String,
    active: bool,
    status: String,
    last_active: String,
    me: bool,
    /// The viewer may change this member.
    manageable: bool,
    /// The roles the viewer may give them.
    roles: Vec<(&'static str, String)>,
    /// Two-factor sign-in is on for them.
    two_factor: bool,
}

/// An invitation as the page lists it.
#[derive(Debug)]
struct InvitationRow {
    id: String,
    email: String,
    role_label: String,
    state: &'static str,
    state_label: String,
    when: String,
    /// Resend / revoke are offered.
    open: bool,
}

/// One row of the permissions table.
#[derive(Debug)]
struct PermissionRow {
    action: String,
    member: bool,
    admin: bool,
    owner: bool,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    layout: Layout,
    csrf: String,
    notice: String,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    can_manage: bool,
    can_audit: bool,
    verified: bool,
    invite_roles: Vec<(&'static str, String)>,
    invite_email: Field,
    invite_role: String,
    permissions: Vec<PermissionRow>,
    /// Whether the organization requires two-factor sign-in, and whether the viewer may
    /// change that.
    two_factor_required: bool,
    can_require_two_factor: bool,
}

fn role_label(t: &Catalog, role: Role) -> String {
    t.get(&format!("roles.{}", role.as_str())).to_owned()
}

fn action_key(action: Action) -> &'static str {
    match action {
        Action::ViewEvents => "view_events",
        Action::UploadPhotos => "upload_photos",
        Action::React => "react",
        Action::ModeratePhotos => "moderate_photos",
        Action::DownloadOriginals => "download_originals",
        Action::ManageEvents => "manage_events",
        Action::DeletePhotos => "delete_photos",
        Action::ManageMembers => "manage_members",
        Action::ManageSettings => "manage_settings",
        Action::ViewAuditLog => "view_audit_log",
        Action::DeleteOrganization => "delete_organization",
        Action::RequireTwoFactor => "require_two_factor",
        Action::ManageDraws => "manage_draws",
        Action::RunDraws => "run_draws",
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MembersQuery {
    done: Option<String>,
}

async fn members_page(
    state: &AppState,
    nonce: CspNonce,
    member: &CurrentMember,
    notice: String,
) -> Result<MembersPage, WebError> {
    let t = Catalog::current();
    let team = teams::team(&state.services, &member.ctx)
        .await
        .map_err(team_error)?;
    let now = member.ctx.now;
    let grantable: Vec<(&'static str, String)> = Role::ALL
        .iter()
        .rev()
        .filter(|r| team.role.may_grant(**r))
        .map(|r| (r.as_str(), role_label(t, *r)))
        .collect();
    // The only active owner is not offered what would leave the organization without one.
    let active_owners = team
        .members
        .iter()
        .filter(|m| m.membership.role == Role::Owner && m.membership.is_active())
        .count();
    let members = team
        .members
        .iter()
        .map(|m| {
            let ms = &m.membership;
            let active = ms.is_active();
            MemberRow {
                id: ms.user_id.to_string(),
                name: m.name.as_str().to_owned(),
                email: m.email.as_str().to_owned(),
                role: ms.role,
                role_label: role_label(t, ms.role),
                active,
                status: if !active {
                    t.get("team.status_deactivated").to_owned()
                } else if !m.email_verified {
                    t.get("team.status_unverified").to_owned()
                } else {
                    t.get("team.status_active").to_owned()
                },
                last_active: match ms.last_active_at {
                    Some(at) if now - at < chrono::Duration::minutes(10) => {
                        t.get("account.active_now").to_owned()
                    }
                    Some(at) => t
                        .get("account.last_seen")
                        .replace("{date}", &t.date("utc", &at)),
                    None => t.get("team.never_active").to_owned(),
                },
                me: ms.user_id == team.me,
                manageable: team.role.may_manage(ms.role)
                    && !(ms.role == Role::Owner && active && active_owners == 1),
                roles: grantable.clone(),
                two_factor: team.two_factor.contains(&ms.user_id),
            }
        })
        .collect();
    let invitations = team
        .invitations
        .iter()
        .map(|i| {
            let st = i.state(now);
            InvitationRow {
                id: i.id.to_string(),
                email: i.email.as_str().to_owned(),
                role_label: role_label(t, i.role),
                state: st.as_str(),
                state_label: t
                    .get(&format!("team.invitation_{}", st.as_str()))
                    .to_owned(),
                when: match st {
                    store_state::Accepted => i.accepted_at.map_or_else(String::new, |at| {
                        t.get("team.accepted_on")
                            .replace("{date}", &t.date("utc", &at))
                    }),
                    store_state::Pending => t
                        .get("team.expires_on")
                        .replace("{date}", &t.date("utc", &i.expires_at)),
                    _ => t
                        .get("team.sent_on")
                        .replace("{date}", &t.date("utc", &i.sent_at)),
                },
                open: matches!(st, store_state::Pending | store_state::Expired)
                    && team.role.may_grant(i.role),
            }
        })
        .collect();
    let permissions = Action::ALL
        .iter()
        .map(|a| PermissionRow {
            action: t.get(&format!("permissions.{}", action_key(*a))).to_owned(),
            member: Role::Member.can(*a),
            admin: Role::Admin.can(*a),
            owner: Role::Owner.can(*a),
        })
        .collect();
    Ok(MembersPage {
        layout: Layout::for_member(nonce, member, "members"),
        csrf: member.session.csrf_token.clone(),
        notice,
        members,
        invitations,
        can_manage: team.role.can(Action::ManageMembers),
        can_audit: team.role.can(Action::ViewAuditLog),
        verified: team.verified,
        invite_roles: grantable,
        invite_email: Field::default(),
        invite_role: Role::Member.as_str().to_owned(),
        permissions,
        two_factor_required: team.two_factor_required,
        can_require_two_factor: team.role.can(Action::RequireTwoFactor),
    })
}

use service::records::InvitationState as store_state;

/// `GET /members`.
pub async fn show_members(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    Query(q): Query<MembersQuery>,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let notice = match q.done.as_deref() {
        Some(
            what @ ("invited"
            | "resent"
            | "revoked"
            | "role"
            | "deactivated"
            | "reactivated"
            | "removed"
            | "two_factor_reset"
            | "two_factor_required"
            | "two_factor_optional"),
        ) => t.get(&format!("team.done_{what}")).to_owned(),
        _ => String::new(),
    };
    render(members_page(&state, nonce, &member, notice).await?)
}

#[derive(Debug, Default, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

fn parse_role(s: &str) -> Result<Role, WebError> {
    s.parse()
        .map_err(|_| WebError::BadRequest(Catalog::current().get("team.unknown_role").to_owned()))
}

/// `POST /members/invite`.
pub async fn invite(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> Result<Response, WebError> {
    let role = parse_role(&form.role)?;
    enforce_limit(
        &state,
        limits::INVITE_PER_ORG,
        &member.tenant.id.to_string(),
    )
    .await?;
    let base = mail_base_url(&state, &headers);
    match teams::invite(&state.services, &member.ctx, &form.email, role, &base).await {
        Ok(_) => Ok(Redirect::to("/members?done=invited").into_response()),
        Err(TeamError::Invalid(problems)) => {
            let t = Catalog::current();
            let mut p = members_page(&state, nonce, &member, String::new()).await?;
            p.invite_email = Field::with_value(&form.email);
            p.invite_role = role.as_str().to_owned();
            if let Some((_, problem)) = problems.first() {
                p.invite_email.error = field_message(t, problem);
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(p)?).into_response())
        }
        Err(TeamError::AlreadyMember) => {
            let t = Catalog::current();
            let mut p = members_page(&state, nonce, &member, String::new()).await?;
            p.invite_email = Field::with_value(&form.email);
            p.invite_email.error = t.get("team.already_member").to_owned();
            p.invite_role = role.as_str().to_owned();
            Ok((StatusCode::CONFLICT, render(p)?).into_response())
        }
        Err(e) => Err(team_error(e)),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

fn user_id(s: &str) -> Result<UserId, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

fn invitation_id(s: &str) -> Result<InvitationId, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

/// `POST /members/{user}/role`.
pub async fn change_role(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(user): Path<String>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<Response, WebError> {
    let role = parse_role(&form.role)?;
    teams::change_role(&state.services, &member.ctx, user_id(&user)?, role)
        .await
        .map_err(team_error)?;
    Ok(Redirect::to("/members?done=role").into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct EmptyForm {}

/// `POST /members/{user}/deactivate`.
pub async fn deactivate(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(user): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, WebError> {
    teams::set_active(&state.services, &member.ctx, user_id(&user)?, false)
        .await
        .map_err(team_error)?;
    Ok(Redirect::to("/members?done=deactivated").into_response())
}

/// `POST /members/{user}/reactivate`.
pub async fn reactivate(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(user): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, WebError> {
    teams::set_active(&state.services, &member.ctx, user_id(&user)?, true)
        .await
        .map_err(team_error)?;
    Ok(Redirect::to("/members?done=reactivated").into_response())
}

/// `POST /members/{user}/remove`.
pub async fn remove(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(user): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, WebError> {
    let target = user_id(&user)?;
    teams::remove_member(&state.services, &member.ctx, target)
        .await
        .map_err(team_error)?;
    if target == member.user.id {
        return Ok(Redirect::to("/app").into_response());
    }
    Ok(Redirect::to("/members?done=removed").into_response())
}

/// `POST /members/invitations/{id}/resend`.
pub async fn resend(
    State(state): State<AppState>,
    member: CurrentMember,
    headers: HeaderMap,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, WebError> {
    enforce_limit(
        &state,
        limits::INVITE_PER_ORG,
        &member.tenant.id.to_string(),
    )
    .await?;
    let base = mail_base_url(&state, &headers);
    teams::resend_invitation(&state.services, &member.ctx, invitation_id(&id)?, &base)
        .await
        .map_err(team_error)?;
    Ok(Redirect::to("/members?done=resent").into_response())
}

/// `POST /members/invitations/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, WebError> {
    teams::revoke_invitation(&state.services, &member.ctx, invitation_id(&id)?)
        .await
        .map_err(team_error)?;
    Ok(Redirect::to("/members?done=revoked").into_response())
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    layout: Layout,
    csrf: String,
    token: String,
    org: String,
    inviter: String,
    role_label: String,
    email: String,
    /// What the page offers: `join` (logged in as the invited person), `login` (their account
    /// exists), `wrong_account` (logged in as someone else), `signup`.
    mode: &'static str,
    form_error: String,
    name: Field,
    password: Field,
}

async fn invitation_page(
    state: &AppState,
    nonce: CspNonce,
    csrf: String,
    session: &SessionCtx,
    token: &str,
) -> Result<InvitationPage, WebError> {
    let t = Catalog::current();
    let view = teams::view_invitation(&state.services, token)
        .await
        .map_err(team_error)?;
    let me = match &session.0 {
        Some(s) => service::accounts::session_user(&state.services, s).await?,
        None => None,
    };
    let mode = match &me {
        Some(u) if u.email == view.invitation.email => "join",
        Some(_) => "wrong_account",
        None if view.account_exists => "login",
        None => "signup",
    };
    let mut layout = Layout::new(nonce);
    if let Some(s) = &session.0 {
        layout = layout.with_logout(s.csrf_token.clone());
    }
    Ok(InvitationPage {
        layout,
        csrf,
        token: token.to_owned(),
        org: view.tenant.name.as_str().to_owned(),
        inviter: view
            .inviter
            .map_or_else(String::new, |n| n.as_str().to_owned()),
        role_label: role_label(t, view.invitation.role),
        email: view.invitation.email.as_str().to_owned(),
        mode,
        form_error: String::new(),
        name: Field::default(),
        password: Field::default(),
    })
}

fn plausible_token(token: &str) -> bool {
    (20..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A link's token that cannot be one of ours: the same page as a used one.
fn gone() -> WebError {
    team_error(TeamError::InvitationGone)
}

/// `GET /invitations/{token}`.
pub async fn show_invitation(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    Extension(session): Extension<SessionCtx>,
    Path(token): Path<String>,
) -> Result<Html<String>, WebError> {
    if !plausible_token(&token) {
        return Err(gone());
    }
    render(invitation_page(&state, nonce, form_token.0, &session, &token).await?)
}

#[derive(Debug, Default, Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// `POST /invitations/{token}/signup`: a new person accepts.
#[expect(
    clippy::too_many_arguments,
    reason = "the page, its form and its limits"
)]
pub async fn accept_signup(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    Extension(form_token): Extension<FormToken>,
    Extension(session): Extension<SessionCtx>,
    ip: ClientIp,
    headers: HeaderMap,
    Path(token): Path<String>,
    CsrfForm(form): CsrfForm<SignUpForm>,
) -> Result<Response, WebError> {
    if !plausible_token(&token) {
        return Err(gone());
    }
    enforce_limit(&state, limits::REGISTER_PER_IP, &ip.key()).await?;
    let input = InvitedSignUp {
        name: &form.name,
        password: &form.password,
    };
    match teams::accept_as_new(&state.services, &token, &input).await {
        Ok(account) => log_in(&state, &session, &account, &headers, "/app?joined=1").await,
        Err(TeamError::Invalid(problems)) => {
            let t = Catalog::current();
            let mut p = invitation_page(&state, nonce, form_token.0, &session, &token).await?;
            p.form_error = t.get("form.fix_below").to_owned();
            p.name = Field::with_value(&form.name);
            for (name, problem) in &problems {
                let msg = field_message(t, problem);
                match *name {
                    "name" => p.name.error = msg,
                    _ => p.password.error = msg,
                }
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(p)?).into_response())
        }
        Err(e) => Err(team_error(e)),
    }
}

/// `POST /invitations/{token}/join`: someone logged in accepts.
pub async fn accept_join(
    State(state): State<AppState>,
    Extension(session): Extension<SessionCtx>,
    headers: HeaderMap,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> Result<Response, WebError> {
    if !plausible_token(&token) {
        return Err(gone());
    }
    let Some(s) = &session.0 else {
        return Ok(Redirect::to(&format!("/login?next=/invitations/{token}")).into_response());
    };
    let user = service::accounts::session_user(&state.services, s)
        .await?
        .ok_or(WebError::Unauthorized)?;
    let account = teams::accept_as_member(&state.services, &token, &user)
        .await
        .map_err(team_error)?;
    // Work in the organization just joined.
    log_in(&state, &session, &account, &headers, "/app?joined=1").await
}

/// One organization in the switcher.
#[derive(Debug)]
struct OrgRow {
    id: String,
    name: String,
    role: String,
    active: bool,
    current: bool,
}

#[derive(Template)]
#[template(path = "organizations.html")]
struct OrganizationsPage {
    layout: Layout,
    csrf: String,
    orgs: Vec<OrgRow>,
}

/// `GET /orgs`: the organizations the person belongs to, to switch between them.
pub async fn show_organizations(
    State(state): State<AppState>,
    Extension(nonce): Extension<CspNonce>,
    member: CurrentMember,
) -> Result<Html<String>, WebError> {
    let t = Catalog::current();
    let orgs = service::accounts::organizations(&state.services, member.user.id)
        .await?
        .into_iter()
        .map(|o| OrgRow {
            id: o.tenant.id.to_string(),
            name: o.tenant.name.as_str().to_owned(),
            role: role_label(t, o.role),
            active: o.active,
            current: o.tenant.id == member.tenant.id,
        })
        .collect();
    render(OrganizationsPage {
        layout: Layout::for_member(nonce, &member, "orgs"),
        csrf: member.session.csrf_token.clone(),
        orgs,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    tenant: String,
}

/// `POST /orgs/switch`: work in another organization (a new session for it; the pages, the
/// API and row-level security follow the session's organization).
pub async fn switch_organization(
    State(state): State<AppState>,
    Extension(session): Extension<SessionCtx>,
    member: CurrentMember,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<SwitchForm>,
) -> Result<Response, WebError> {
    let tenant: domain::TenantId = form.tenant.parse().map_err(|_| WebError::NotFound)?;
    let account = service::accounts::switch_organization(&state.services, &member.session, tenant)
        .await?
        .ok_or(WebError::NotFound)?;
    log_in(&state, &session, &account, &headers, "/app").await
}
