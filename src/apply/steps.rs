//! Carrying out one action: every request comes from the step the plan holds (built by
//! `plan::request`) and goes through `xnat/`; what the run learns (the ids of commands and
//! wrappers it writes) is kept in [`Progress`] for the actions that follow.

use crate::model::{Repo, Secret, SecretRef};
use crate::plan::observed::Observed;
use crate::plan::record::Fingerprint;
use crate::plan::request::{RegistryRequest, SubscriptionRequest};
use crate::plan::{Action, CommandKey, PlanOptions, Step, Target};
use crate::xnat::wire::{HubBody, Scope, action_key};
use crate::xnat::{self, Client, commands, docker, events, wrappers};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, thiserror::Error)]
pub(super) enum StepError {
    #[error(transparent)]
    Xnat(#[from] xnat::XnatError),
    #[error("{0}")]
    Other(String),
}

/// What the run has learnt and done, shared by the actions running at once.
#[derive(Default)]
pub(super) struct Progress {
    /// Live id of each declared command.
    pub command_ids: HashMap<CommandKey, i64>,
    /// The image each declared command has in XNAT (for the record).
    pub command_images: HashMap<CommandKey, String>,
    pub wrapper_ids: HashMap<(CommandKey, String), i64>,
    pub created_subscriptions: BTreeMap<String, i64>,
    /// Subscriptions a create found already there (by name).
    pub adopted_subscriptions: BTreeMap<String, i64>,
    /// Declared commands and registries this run created.
    pub created_commands: Vec<CommandKey>,
    pub created_registries: Vec<String>,
    pub deleted_commands: Vec<i64>,
    pub deleted_subscriptions: Vec<i64>,
    pub deleted_registries: Vec<String>,
    /// Registries whose credential was sent, with its new fingerprint.
    pub sent_credentials: BTreeMap<String, Fingerprint>,
    /// Registries created or updated in this run.
    pub written_registries: Vec<String>,
}

impl Progress {
    /// The ids the plan was made with: each declared command's live command and wrappers.
    pub fn of(repo: &Repo, observed: &Observed) -> Progress {
        let mut p = Progress::default();
        for (d, l) in observed.pairing(repo).pairs() {
            let c = &repo.commands[d].spec;
            let key = CommandKey {
                name: c.name.clone(),
                version: c.version.clone(),
            };
            let live = &observed.commands[l];
            p.learn(&key, live);
        }
        p
    }

    fn learn(&mut self, key: &CommandKey, live: &crate::model::Command) {
        if let Some(id) = live.id {
            self.command_ids.insert(key.clone(), id);
        }
        if let Some(image) = &live.image {
            self.command_images.insert(key.clone(), image.clone());
        }
        for w in &live.xnat {
            if let Some(wid) = w.id {
                self.wrapper_ids.insert((key.clone(), w.name.clone()), wid);
            }
        }
    }
}

pub(super) struct Executor<'a> {
    pub(super) client: &'a Client,
    /// For the Kubernetes steps, which read registry credentials when they run.
    pub(super) repo: &'a Repo,
    pub(super) opts: &'a PlanOptions,
    state: std::sync::Mutex<Progress>,
}

fn text<'v>(body: &'v Value, field: &str) -> Option<&'v str> {
    body.get(field).and_then(Value::as_str)
}

impl<'a> Executor<'a> {
    pub fn new(
        client: &'a Client,
        repo: &'a Repo,
        opts: &'a PlanOptions,
        progress: Progress,
    ) -> Executor<'a> {
        Executor {
            client,
            repo,
            opts,
            state: std::sync::Mutex::new(progress),
        }
    }

    pub fn into_progress(self) -> Progress {
        self.state
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        // A panic while holding the lock cannot leave the maps half-written in a way that
        // matters here; carry on with what is there.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn resolve(
        &self,
        r: &RegistryRequest,
        s: Option<&SecretRef>,
        field: &str,
    ) -> Result<Option<Secret>, StepError> {
        s.map(|s| s.resolve(&*self.opts.env, &self.opts.base))
            .transpose()
            .map_err(|e| StepError::Other(format!("registry `{}` {field}: {e}", r.name)))
    }

    async fn registry(&self, r: &RegistryRequest, id: Option<i64>) -> Result<(), StepError> {
        let password = self.resolve(r, r.password.as_ref(), "password")?;
        let token = self.resolve(r, r.token.as_ref(), "token")?;
        let body = HubBody {
            name: &r.name,
            url: &r.url,
            username: r.username.as_deref(),
            email: r.email.as_deref(),
            password: password.as_ref(),
            token: token.as_ref(),
        };
        match id {
            None => {
                docker::create_hub(self.client, &body, r.default).await?;
                self.progress().created_registries.push(r.name.clone());
            }
            Some(id) => docker::update_hub(self.client, id, &body, r.default).await?,
        }
        if r.has_credentials() {
            let text = crate::plan::record::credential_text(password.as_ref(), token.as_ref());
            self.progress()
                .sent_credentials
                .insert(r.name.clone(), Fingerprint::new(&text));
        }
        self.progress().written_registries.push(r.name.clone());
        Ok(())
    }

    async fn command(
        &self,
        key: &CommandKey,
        id: Option<i64>,
        body: &Value,
    ) -> Result<(), StepError> {
        let id = match id {
            Some(id) => {
                commands::update(self.client, id, body).await?;
                id
            }
            None => {
                let name = text(body, "name").unwrap_or_default();
                let image = text(body, "image").unwrap_or_default();
                let id = commands::create(self.client, body, (name, image, text(body, "version")))
                    .await?;
                self.progress().created_commands.push(key.clone());
                // XNAT's create binder reads `ipcMode`, not `ipc-mode` (ref §4): set it by update.
                if body.get("ipc-mode").is_some_and(|v| !v.is_null()) {
                    commands::update(self.client, id, body).await?;
                }
                id
            }
        };
        // Learn the wrapper ids XNAT gave (after a create or an update).
        let live = commands::get(self.client, id).await?;
        self.progress().learn(key, &live);
        Ok(())
    }

    fn wrapper_id(&self, command: &CommandKey, wrapper: &str) -> Result<i64, StepError> {
        self.progress()
            .wrapper_ids
            .get(&(command.clone(), wrapper.to_string()))
            .copied()
            .ok_or_else(|| {
                StepError::Other(format!(
                    "XNAT has no wrapper `{wrapper}` for command {command}"
                ))
            })
    }

    async fn wrapper(
        &self,
        scope: &Scope,
        key: &CommandKey,
        wrapper: &str,
        step: &Step,
    ) -> Result<(), StepError> {
        let Step::SetWrapper {
            enable,
            config,
            enabled,
        } = step
        else {
            return Ok(());
        };
        let id = self.wrapper_id(key, wrapper)?;
        if let Some(config) = config {
            // A config write enables the wrapper unless told not to (ref §5): carry the
            // intended state.
            wrappers::set_config(self.client, scope, id, config, *enabled).await?;
            if *enabled {
                return Ok(());
            }
        }
        if let Some(e) = enable {
            wrappers::set_enabled(self.client, scope, id, *e).await?;
        }
        Ok(())
    }

    /// The subscription body with the wrapper's id as it is now.
    fn subscription(
        &self,
        r: &SubscriptionRequest,
    ) -> Result<crate::xnat::wire::Subscription, StepError> {
        let mut body = r.body.clone();
        body.action_key = action_key(self.wrapper_id(&r.command, &r.wrapper)?);
        Ok(body)
    }

    async fn create_subscription(
        &self,
        name: &str,
        r: &SubscriptionRequest,
    ) -> Result<Option<String>, StepError> {
        let sub = self.subscription(r)?;
        match events::create(self.client, &sub, r.project.as_deref()).await? {
            events::Created::New(id) => {
                self.progress()
                    .created_subscriptions
                    .insert(name.to_string(), id);
                Ok(None)
            }
            events::Created::Existing(id) => {
                self.progress()
                    .adopted_subscriptions
                    .insert(name.to_string(), id);
                Ok(Some(format!(
                    "XNAT already has a subscription named `{name}` (id {id}); nothing was created: xcs adopts it, and the next plan compares its settings"
                )))
            }
        }
    }

    /// Carry out one action; `Some(message)` when it found its object already there.
    pub async fn run(&self, a: &Action) -> Result<Option<String>, StepError> {
        if let (Target::Automation { name }, Step::CreateSubscription { request }) =
            (&a.target, &a.step)
        {
            return self.create_subscription(name, request).await;
        }
        self.run_step(a).await.map(|()| None)
    }

    async fn run_step(&self, a: &Action) -> Result<(), StepError> {
        match (&a.target, &a.step) {
            (_, Step::None) => Ok(()),
            (_, Step::CreateRegistry { request }) => self.registry(request, None).await,
            (_, Step::UpdateRegistry { id, request }) => self.registry(request, Some(*id)).await,
            (Target::Registry { name }, Step::DeleteRegistry { id }) => {
                docker::delete_hub(self.client, *id).await?;
                self.progress().deleted_registries.push(name.clone());
                Ok(())
            }
            (_, Step::SetBackend { body }) => Ok(docker::set_server(self.client, body).await?),
            (Target::Command { command }, Step::CreateCommand { body }) => {
                self.command(command, None, body).await
            }
            (Target::Command { command }, Step::UpdateCommand { id, body }) => {
                self.command(command, Some(*id), body).await
            }
            (_, Step::DeleteCommand { id }) => {
                commands::delete(self.client, *id).await?;
                self.progress().deleted_commands.push(*id);
                Ok(())
            }
            (
                Target::Wrapper {
                    scope,
                    command,
                    wrapper,
                },
                step,
            ) => self.wrapper(scope, command, wrapper, step).await,
            (_, Step::EnableEventService) => Ok(events::enable(self.client).await?),
            (_, Step::DeleteSubscription { id }) => {
                events::delete(self.client, *id).await?;
                self.progress().deleted_subscriptions.push(*id);
                Ok(())
            }
            (
                _,
                Step::UpdateSubscription {
                    id,
                    active_only,
                    request,
                },
            ) => {
                if !active_only {
                    events::update(self.client, *id, &self.subscription(request)?).await?;
                }
                events::set_active(self.client, *id, request.body.active).await?;
                Ok(())
            }
            (Target::Image { image }, step) => self.image(image, step).await,
            (
                Target::PullSecret { namespace, name } | Target::ServiceAccount { namespace, name },
                step,
            ) => self.kube(namespace, name, step).await,
            (target, step) => Err(StepError::Other(format!("cannot {step:?} on {target}"))),
        }
    }
}
