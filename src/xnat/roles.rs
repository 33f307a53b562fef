//! Which XNAT role each request needs, so a refusal (401/403) names it and a plan can say up
//! front what an apply would miss.
//!
//! From the references: the config service's site scope is written by site administrators only
//! (ref core §2 PUT/DELETE), and xcs keeps its lock and ownership record there; the event
//! service switch and site subscriptions are `Admin` (ref core §6, CS §7b), project
//! subscriptions need the project's owner; commands, wrappers, hubs and the server need the
//! `ContainerManager` role (ref CS §0; site administrators are not managers automatically).

/// A role, as the messages name it.
pub fn needed_for(method: &str, path: &str) -> &'static str {
    let project = path.starts_with("/data/projects/") || path.starts_with("/xapi/projects/");
    if path.starts_with("/data/config") || path.starts_with("/REST/config") {
        return "the `Administrator` role (site config-service documents: the apply lock and the ownership record)";
    }
    if path.contains("/events/") {
        return if project {
            "the owner of that project or the `Administrator` role (project automations)"
        } else {
            "the `Administrator` role (the event service and site automations)"
        };
    }
    if project && path.contains("/config") {
        return "the owner of that project or the `Administrator` role";
    }
    if path.starts_with("/xapi/users") {
        return "an account that may read its own roles";
    }
    let _ = method;
    "the `ContainerManager` role (commands, wrappers, registries and the compute backend)"
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_area_names_its_role() {
        assert!(super::needed_for("PUT", "/data/config/xcs/lock").contains("Administrator"));
        assert!(super::needed_for("POST", "/xapi/events/subscription").contains("Administrator"));
        assert!(super::needed_for("POST", "/xapi/commands").contains("ContainerManager"));
        assert!(
            super::needed_for("POST", "/xapi/projects/P/events/subscription").contains("owner")
        );
    }
}
