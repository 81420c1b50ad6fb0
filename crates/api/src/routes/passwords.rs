//! Getting in without a password: password resets (`POST`/`PATCH
//! /users/password`, and the page the reset e-mail links to) and one-time
//! sign-in codes (`POST /users/sign_in_link`). Every request answers the same
//! whether or not the e-mail belongs to anyone, so nobody learns who has an
//! account.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::Form;
use gatehouse_domain::{Email, FieldErrors, NewUserToken, Password, SignInCandidate, TokenPurpose};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::links::{escape, page};
use crate::auth::{hash_password, hash_secret, new_secret};
use crate::error::{codes, ApiError, ApiResult, ErrorBody, ErrorsBody};
use crate::extract::Body;
use crate::invitations::sign_in_of;
use crate::messages::{self, Org};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_password_reset, reset_password))
        .routes(routes!(reset_page, reset_form))
        .routes(routes!(request_sign_in_link))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AccountRequest {
    user: AccountFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AccountFields {
    email: Option<String>,
    domain: Option<String>,
}

/// The member behind a domain and e-mail, if any; bad input is an error.
async fn account(state: &AppState, fields: AccountFields) -> ApiResult<Option<SignInCandidate>> {
    let mut errors = FieldErrors::new();
    let email = match &fields.email {
        Some(email) => errors.check("email", Email::parse(email)),
        None => {
            errors.add("email", "can't be blank");
            None
        }
    };
    if fields.domain.as_deref().is_none_or(str::is_empty) {
        errors.add("domain", "can't be blank");
    }
    errors.into_result()?;
    match (email, fields.domain) {
        (Some(email), Some(domain)) => Ok(state.store.sign_in_candidate(&domain, &email).await?),
        _ => Ok(None),
    }
}

fn org_of(candidate: &SignInCandidate) -> Org<'_> {
    Org {
        name: &candidate.organization.name,
        domain: &candidate.organization.domain,
    }
}

/// Issues a reset token for the member and returns the link to the page.
async fn issue_reset(state: &AppState, candidate: &SignInCandidate) -> ApiResult<(String, String)> {
    let (token, token_hash) = new_secret();
    let now = state.clock.now();
    state
        .store
        .issue_user_token(
            &NewUserToken {
                user_id: candidate.member.user_id,
                organization_id: candidate.organization.id,
                purpose: TokenPurpose::PasswordReset,
                token_hash,
                expires_at: now + TokenPurpose::PasswordReset.lifetime(false),
            },
            now,
        )
        .await?;
    let url = format!(
        "{}/users/password/edit?reset_password_token={token}",
        state.mailer.public_url
    );
    Ok((url, token))
}

/// Asks for a password reset e-mail. Always 204, whether or not the e-mail
/// belongs to a member of the organization.
#[utoipa::path(post, path = "/users/password", tag = "users", request_body = AccountRequest,
    responses((status = 204, description = "An e-mail is on its way if the account exists"),
        (status = 422, body = ErrorsBody)))]
async fn request_password_reset(
    State(state): State<AppState>,
    Body(request): Body<AccountRequest>,
) -> ApiResult<StatusCode> {
    if let Some(candidate) = account(&state, request.user).await? {
        let (url, token) = issue_reset(&state, &candidate).await?;
        state.mailer.send(messages::password_reset(
            &candidate.member.user_email,
            &candidate.member.name,
            &org_of(&candidate),
            &url,
            &token,
            TokenPurpose::PasswordReset.lifetime(false),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    user: ResetFields,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ResetFields {
    password: Option<String>,
    password_confirmation: Option<String>,
    reset_password_token: Option<String>,
}

fn invalid_token() -> ApiError {
    ApiError::Unauthorized {
        message: "The password reset link is not valid, was used already or has expired.".into(),
        code: codes::INVALID_LINK,
    }
}

async fn reset(state: &AppState, fields: ResetFields) -> ApiResult<()> {
    let mut errors = FieldErrors::new();
    let password = match &fields.password {
        Some(password) => errors.check("password", Password::parse(password)),
        None => {
            errors.add("password", "can't be blank");
            None
        }
    };
    if fields.password_confirmation != fields.password {
        errors.add("password_confirmation", "doesn't match password");
    }
    if fields
        .reset_password_token
        .as_deref()
        .is_none_or(str::is_empty)
    {
        errors.add("reset_password_token", "can't be blank");
    }
    errors.into_result()?;
    let (Some(password), Some(token)) = (password, fields.reset_password_token) else {
        return Err(invalid_token());
    };
    let hash = hash_password(password.expose().to_owned()).await?;
    state
        .store
        .reset_password(&hash_secret(&token), &hash, state.clock.now())
        .await?
        .ok_or_else(invalid_token)?;
    Ok(())
}

/// Sets a new password with the token from the reset e-mail. The token
/// works once and for two hours; afterwards every login of the user is
/// signed out.
#[utoipa::path(patch, path = "/users/password", tag = "users", request_body = ResetRequest,
    responses((status = 204),
        (status = 401, body = ErrorBody, description = "afc507: the token is not valid, used or expired"),
        (status = 422, body = ErrorsBody)))]
async fn reset_password(
    State(state): State<AppState>,
    Body(request): Body<ResetRequest>,
) -> ApiResult<StatusCode> {
    reset(&state, request.user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ResetLink {
    reset_password_token: Option<String>,
}

fn reset_form_html(token: &str, problem: Option<&str>) -> String {
    let alert = problem
        .map(|p| format!("<p class=\"denied\" role=\"alert\">{}</p>", escape(p)))
        .unwrap_or_default();
    page(
        "Choose a new password",
        &format!(
            "{alert}<form method=\"post\" action=\"/users/password/edit\" style=\"display:block\">\
             <input type=\"hidden\" name=\"reset_password_token\" value=\"{}\">\
             <p><label for=\"password\">New password (8 to 128 characters)</label><br>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" minlength=\"8\" maxlength=\"128\" required></p>\
             <p><label for=\"password_confirmation\">The same again</label><br>\
             <input id=\"password_confirmation\" name=\"password_confirmation\" type=\"password\" autocomplete=\"new-password\" required></p>\
             <p><button type=\"submit\">Set the password</button></p></form>",
            escape(token)
        ),
    )
}

/// The page the reset e-mail links to: a form for the new password.
#[utoipa::path(get, path = "/users/password/edit", tag = "users", params(ResetLink),
    responses((status = 200, description = "An HTML form", content_type = "text/html")))]
async fn reset_page(Query(link): Query<ResetLink>) -> Html<String> {
    Html(reset_form_html(
        link.reset_password_token.as_deref().unwrap_or_default(),
        None,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
struct ResetFormFields {
    reset_password_token: Option<String>,
    password: Option<String>,
    password_confirmation: Option<String>,
}

/// The form's submission: the same rules as `PATCH /users/password`.
#[utoipa::path(post, path = "/users/password/edit", tag = "users",
    request_body(content = ResetFormFields, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The outcome, as HTML", content_type = "text/html"),
        (status = 422, description = "The form again, with the problem", content_type = "text/html")))]
async fn reset_form(
    State(state): State<AppState>,
    form: Result<Form<ResetFormFields>, axum::extract::rejection::FormRejection>,
) -> (StatusCode, Html<String>) {
    let Ok(Form(form)) = form else {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Html(page(
                "Password not changed",
                "<p class=\"denied\" role=\"alert\">Send the form from the reset page.</p>",
            )),
        );
    };
    let token = form.reset_password_token.clone().unwrap_or_default();
    let fields = ResetFields {
        password: form.password,
        password_confirmation: form.password_confirmation,
        reset_password_token: form.reset_password_token,
    };
    match reset(&state, fields).await {
        Ok(()) => (
            StatusCode::OK,
            Html(page(
                "Password changed",
                "<p class=\"ok\" role=\"status\">Your password is set. Sign in with it in the app.</p>",
            )),
        ),
        Err(ApiError::Invalid(errors)) => {
            let problem = format!("Not changed: {errors}.");
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(reset_form_html(&token, Some(&problem))),
            )
        }
        Err(error) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(page(
                "Password not changed",
                &format!(
                    "<p class=\"denied\" role=\"alert\">{}</p><p>Ask for a new reset e-mail.</p>",
                    escape(&match error {
                        ApiError::Unauthorized { message, .. } => message,
                        _ => "Something went wrong; please try again.".to_owned(),
                    })
                ),
            )),
        ),
    }
}

/// Asks for a one-time sign-in code by e-mail, for members without a
/// password: `POST /logins` takes it as `user.authentication_info`. A
/// member who signs in with a password gets a link to reset it instead.
/// Always 204. (gatehouse addition.)
#[utoipa::path(post, path = "/users/sign_in_link", tag = "users", request_body = AccountRequest,
    responses((status = 204, description = "An e-mail is on its way if the account exists"),
        (status = 422, body = ErrorsBody)))]
async fn request_sign_in_link(
    State(state): State<AppState>,
    Body(request): Body<AccountRequest>,
) -> ApiResult<StatusCode> {
    if let Some(candidate) = account(&state, request.user).await? {
        let member = &candidate.member;
        let with_password = member.confirmed && member.flags.password_flow_enabled;
        let sign_in = sign_in_of(
            &state,
            candidate.organization.id,
            member.user_id,
            with_password,
            false,
        )
        .await?;
        let reset_url = if with_password {
            issue_reset(&state, &candidate).await?.0
        } else {
            String::new()
        };
        state.mailer.send(messages::sign_in_link(
            &member.user_email,
            &member.name,
            &org_of(&candidate),
            &sign_in,
            &reset_url,
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}
