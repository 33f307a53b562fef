//! The access checks the handlers share. XNAT's access aspect (`restrictTo`, `@AuthDelegate`)
//! refuses before the method runs, with 403 and an empty body (ref: xnat-core-api.md §1.5); the
//! checks CS makes inside its methods answer 401 instead, and stay with their handlers
//! (ref: xnat-container-service-api.md §0).

use super::http::{Caller, forbidden, text};
use super::state::{Access, State};
use axum::http::StatusCode;
use axum::response::Response;

/// `@AuthDelegate(ContainerManagerUserAuthorization)`: 403 from the access aspect. It gates the
/// site forms of wrapper configuration (ref: xnat-container-service-api.md §0, §5) and the hub and
/// server writes (ref: §0).
pub fn require_manager_403(st: &State, caller: &Caller) -> Result<(), Response> {
    if st.is_container_manager(&caller.username) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

/// `restrictTo = Admin`: 403.
pub fn require_admin(st: &State, caller: &Caller) -> Result<(), Response> {
    if st.is_admin(&caller.username) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

/// `restrictTo = Edit/Delete` on a `@Project`: the access aspect answers 404 for an unknown
/// project and 403 for too little access.
pub fn require_project_level(
    st: &State,
    caller: &Caller,
    project: &str,
    level: Access,
) -> Result<(), Response> {
    if !st.projects.contains_key(project) {
        return Err(text(
            StatusCode::NOT_FOUND,
            format!("Couldn't find project {project}"),
        ));
    }
    if st.has_access(&caller.username, project, level) {
        Ok(())
    } else {
        Err(forbidden())
    }
}
