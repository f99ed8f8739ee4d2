//! Per-request DataLoaders: every relation a client can nest is loaded in batches with
//! `IN` queries, scoped to the caller's organization. They cache, so they live for one
//! request only and never share data between callers.

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::*;
use sea_orm::{ColumnTrait, DatabaseConnection};
use service::Actor;
use service::tenant::{Tenant, by_ids, children};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// How long a loader waits to gather keys. Every nesting level that misses the cache pays
/// it once; shorter windows split a level's keys over several statements when resolving
/// hundreds of siblings takes longer than the window (measured: 100 µs split batches of
/// 300 keys in debug builds and under load). Unoptimized builds resolve siblings ten
/// times slower, so they wait longer: the statements a request issues are then the same
/// in tests as in production.
const BATCH_DELAY: Duration = if cfg!(debug_assertions) { Duration::from_millis(10) } else { Duration::from_millis(1) };

/// Rows shared between the cache and resolvers without copying them.
pub type Rows<M> = Vec<Arc<M>>;

/// Loads rows of `E` by id.
pub struct ById<E: Tenant> {
    db: DatabaseConnection,
    actor: Actor,
    _entity: std::marker::PhantomData<fn() -> E>,
}

impl<E: Tenant> ById<E> {
    fn new(db: &DatabaseConnection, actor: &Actor) -> Self {
        ById { db: db.clone(), actor: actor.clone(), _entity: std::marker::PhantomData }
    }
}

impl<E: Tenant> Loader<Uuid> for ById<E>
where
    E::Model: Clone,
{
    type Value = Arc<E::Model>;
    type Error = Arc<service::Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Arc<E::Model>>, Self::Error> {
        let rows = by_ids::<E>(&self.db, &self.actor, keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|(id, row)| (id, Arc::new(row))).collect())
    }
}

/// Loads the rows of `E` whose `parent` column points at each key, oldest first.
pub struct Children<E: Tenant> {
    db: DatabaseConnection,
    actor: Actor,
    parent: E::Column,
    parent_of: fn(&E::Model) -> Option<Uuid>,
    live_only: Option<E::Column>,
}

impl<E: Tenant> Children<E> {
    /// Children whose `parent` column holds the key; with `live_only`, only rows where
    /// that column (an `archived_at`) is null.
    fn new(
        db: &DatabaseConnection,
        actor: &Actor,
        parent: E::Column,
        parent_of: fn(&E::Model) -> Option<Uuid>,
        live_only: Option<E::Column>,
    ) -> Self {
        Children { db: db.clone(), actor: actor.clone(), parent, parent_of, live_only }
    }
}

impl<E: Tenant> Loader<Uuid> for Children<E>
where
    E::Model: Clone,
    E::Column: Send + Sync,
{
    type Value = Rows<E::Model>;
    type Error = Arc<service::Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Rows<E::Model>>, Self::Error> {
        let mut grouped = children::<E>(
            &self.db,
            &self.actor,
            self.parent,
            keys,
            self.parent_of,
            self.live_only.map(|c| c.is_null()),
        )
        .await
        .map_err(Arc::new)?;
        for key in keys {
            grouped.entry(*key).or_default();
        }
        Ok(grouped.into_iter().map(|(key, rows)| (key, rows.into_iter().map(Arc::new).collect())).collect())
    }
}

/// Loads the newest check-ins of key results, keyed by (key result, how many).
pub struct LatestCheckIns {
    db: DatabaseConnection,
    actor: Actor,
}

impl Loader<(Uuid, u64)> for LatestCheckIns {
    type Value = Rows<check_in::Model>;
    type Error = Arc<service::Error>;

    async fn load(&self, keys: &[(Uuid, u64)]) -> Result<HashMap<(Uuid, u64), Rows<check_in::Model>>, Self::Error> {
        let mut by_limit: HashMap<u64, Vec<Uuid>> = HashMap::new();
        for (id, limit) in keys {
            by_limit.entry(*limit).or_default().push(*id);
        }
        let mut found = HashMap::new();
        for (limit, ids) in by_limit {
            let mut latest =
                service::tenant::latest_check_ins(&self.db, &self.actor, &ids, limit).await.map_err(Arc::new)?;
            for id in ids {
                found.insert((id, limit), latest.remove(&id).unwrap_or_default().into_iter().map(Arc::new).collect());
            }
        }
        Ok(found)
    }
}

type Cached<T> = DataLoader<T, HashMapCache>;

/// The themes each objective serves, its own and inherited up the alignment chain.
pub struct ThemesOfObjective {
    db: DatabaseConnection,
    actor: Actor,
}

impl Loader<Uuid> for ThemesOfObjective {
    type Value = Rows<theme::Model>;
    type Error = Arc<service::Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Rows<theme::Model>>, Self::Error> {
        let found = service::strategy::themes_of(&self.db, &self.actor, keys).await.map_err(Arc::new)?;
        Ok(found.into_iter().map(|(id, themes)| (id, themes.into_iter().map(Arc::new).collect())).collect())
    }
}

/// The attempts of each webhook delivery, the latest first (admins).
pub struct AttemptsOfDelivery {
    db: DatabaseConnection,
    actor: Actor,
}

impl Loader<Uuid> for AttemptsOfDelivery {
    type Value = Rows<entity::webhook_attempt::Model>;
    type Error = Arc<service::Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let found = service::webhooks::attempts_of(&self.db, &self.actor, keys).await.map_err(Arc::new)?;
        Ok(found.into_iter().map(|(id, rows)| (id, rows.into_iter().map(Arc::new).collect())).collect())
    }
}

/// Loads webhook endpoints by id, for admins only.
pub struct WebhooksById {
    db: DatabaseConnection,
    actor: Actor,
}

impl Loader<Uuid> for WebhooksById {
    type Value = Arc<entity::webhook::Model>;
    type Error = Arc<service::Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, Self::Error> {
        let found = service::webhooks::by_ids(&self.db, &self.actor, keys).await.map_err(Arc::new)?;
        Ok(found.into_iter().map(|(id, row)| (id, Arc::new(row))).collect())
    }
}

/// Each cycle's insights, computed once per request however many fields ask for them,
/// also when they ask at the same time (a DataLoader would start a second batch for a key
/// whose first batch is still running).
pub struct InsightsOfCycle {
    db: DatabaseConnection,
    actor: Actor,
    clock: Arc<dyn service::Clock>,
    histories: Arc<Histories>,
    cells: std::sync::Mutex<HashMap<Uuid, Arc<Once>>>,
}

type CycleInsights = service::insights::CycleInsights;
type Histories = service::insights::load::Histories;
/// A cycle's insights once computed; none for a cycle the caller cannot see.
type Once = tokio::sync::OnceCell<Option<Arc<CycleInsights>>>;

impl InsightsOfCycle {
    /// The insights of `cycle`; none for another organization's cycle or none at all.
    pub async fn load(&self, cycle: Uuid) -> Result<Option<Arc<CycleInsights>>, Arc<service::Error>> {
        let cell =
            self.cells.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(cycle).or_default().clone();
        let found = cell
            .get_or_try_init(|| async {
                match service::insights::of_cycle(&self.db, &self.actor, cycle, self.clock.now(), &self.histories).await
                {
                    Ok(insights) => Ok(Some(Arc::new(insights))),
                    Err(service::Error::NotFound { .. }) => Ok(None),
                    Err(e) => Err(Arc::new(e)),
                }
            })
            .await?;
        Ok(found.clone())
    }

    fn clear(&self) {
        self.cells.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
    }
}

/// Every loader of one request.
pub struct Loaders {
    pub people: Cached<ById<person::Entity>>,
    pub teams: Cached<ById<team::Entity>>,
    pub cycles: Cached<ById<cycle::Entity>>,
    pub objectives: Cached<ById<objective::Entity>>,
    pub key_results: Cached<ById<key_result::Entity>>,
    pub child_teams: Cached<Children<team::Entity>>,
    pub members_of_team: Cached<Children<membership::Entity>>,
    pub memberships_of_person: Cached<Children<membership::Entity>>,
    pub key_results_of_objective: Cached<Children<key_result::Entity>>,
    pub aligned_objectives: Cached<Children<objective::Entity>>,
    pub objectives_of_team: Cached<Children<objective::Entity>>,
    pub check_ins_of_key_result: Cached<Children<check_in::Entity>>,
    pub dependencies_from: Cached<Children<dependency::Entity>>,
    pub dependencies_to: Cached<Children<dependency::Entity>>,
    pub latest_check_ins: Cached<LatestCheckIns>,
    pub initiatives_of_key_result: Cached<Children<initiative::Entity>>,
    pub initiatives_of_person: Cached<Children<initiative::Entity>>,
    pub dependencies: Cached<ById<dependency::Entity>>,
    pub initiatives: Cached<ById<initiative::Entity>>,
    pub themes: Cached<ById<theme::Entity>>,
    pub themes_of_objective: Cached<ThemesOfObjective>,
    pub links_of_theme: Cached<Children<objective_theme::Entity>>,
    pub insights_of_cycle: InsightsOfCycle,
    pub attempts_of_delivery: Cached<AttemptsOfDelivery>,
    pub webhooks: Cached<WebhooksById>,
}

impl Loaders {
    /// Fresh loaders for one request by `actor`, at the times `clock` tells.
    pub fn new(
        db: &DatabaseConnection,
        actor: &Actor,
        clock: &Arc<dyn service::Clock>,
        histories: &Arc<Histories>,
    ) -> Self {
        Loaders {
            dependencies: cached(ById::new(db, actor)),
            initiatives: cached(ById::new(db, actor)),
            themes: cached(ById::new(db, actor)),
            themes_of_objective: cached(ThemesOfObjective { db: db.clone(), actor: actor.clone() }),
            links_of_theme: cached(Children::<objective_theme::Entity>::new(
                db,
                actor,
                objective_theme::Column::ThemeId,
                |l| Some(l.theme_id),
                None,
            )),
            attempts_of_delivery: cached(AttemptsOfDelivery { db: db.clone(), actor: actor.clone() }),
            webhooks: cached(WebhooksById { db: db.clone(), actor: actor.clone() }),
            insights_of_cycle: InsightsOfCycle {
                db: db.clone(),
                actor: actor.clone(),
                clock: clock.clone(),
                histories: histories.clone(),
                cells: Default::default(),
            },
            people: cached(ById::new(db, actor)),
            teams: cached(ById::new(db, actor)),
            cycles: cached(ById::new(db, actor)),
            objectives: cached(ById::new(db, actor)),
            key_results: cached(ById::new(db, actor)),
            child_teams: cached(Children::<team::Entity>::new(
                db,
                actor,
                team::Column::ParentId,
                |t| t.parent_id,
                Some(team::Column::ArchivedAt),
            )),
            members_of_team: cached(Children::<membership::Entity>::new(
                db,
                actor,
                membership::Column::TeamId,
                |m| Some(m.team_id),
                None,
            )),
            memberships_of_person: cached(Children::<membership::Entity>::new(
                db,
                actor,
                membership::Column::PersonId,
                |m| Some(m.person_id),
                None,
            )),
            key_results_of_objective: cached(Children::<key_result::Entity>::new(
                db,
                actor,
                key_result::Column::ObjectiveId,
                |k| Some(k.objective_id),
                Some(key_result::Column::ArchivedAt),
            )),
            aligned_objectives: cached(Children::<objective::Entity>::new(
                db,
                actor,
                objective::Column::ParentObjectiveId,
                |o| o.parent_objective_id,
                Some(objective::Column::ArchivedAt),
            )),
            objectives_of_team: cached(Children::<objective::Entity>::new(
                db,
                actor,
                objective::Column::TeamId,
                |o| Some(o.team_id),
                Some(objective::Column::ArchivedAt),
            )),
            check_ins_of_key_result: cached(Children::<check_in::Entity>::new(
                db,
                actor,
                check_in::Column::KeyResultId,
                |c| Some(c.key_result_id),
                None,
            )),
            dependencies_from: cached(Children::<dependency::Entity>::new(
                db,
                actor,
                dependency::Column::FromObjectiveId,
                |d| Some(d.from_objective_id),
                None,
            )),
            latest_check_ins: cached(LatestCheckIns { db: db.clone(), actor: actor.clone() }),
            initiatives_of_key_result: cached(Children::<initiative::Entity>::new(
                db,
                actor,
                initiative::Column::KeyResultId,
                |i| Some(i.key_result_id),
                None,
            )),
            initiatives_of_person: cached(Children::<initiative::Entity>::new(
                db,
                actor,
                initiative::Column::AssigneeId,
                |i| i.assignee_id,
                None,
            )),
            dependencies_to: cached(Children::<dependency::Entity>::new(
                db,
                actor,
                dependency::Column::ToObjectiveId,
                |d| Some(d.to_objective_id),
                None,
            )),
        }
    }
}

impl Loaders {
    /// Forgets everything loaded so far: after a mutation, later reads in the same
    /// request see the change.
    pub fn clear(&self) {
        self.people.clear::<Uuid>();
        self.teams.clear::<Uuid>();
        self.cycles.clear::<Uuid>();
        self.objectives.clear::<Uuid>();
        self.key_results.clear::<Uuid>();
        self.child_teams.clear::<Uuid>();
        self.members_of_team.clear::<Uuid>();
        self.memberships_of_person.clear::<Uuid>();
        self.key_results_of_objective.clear::<Uuid>();
        self.aligned_objectives.clear::<Uuid>();
        self.objectives_of_team.clear::<Uuid>();
        self.check_ins_of_key_result.clear::<Uuid>();
        self.dependencies_from.clear::<Uuid>();
        self.dependencies_to.clear::<Uuid>();
        self.latest_check_ins.clear::<(Uuid, u64)>();
        self.dependencies.clear::<Uuid>();
        self.initiatives.clear::<Uuid>();
        self.themes.clear::<Uuid>();
        self.themes_of_objective.clear::<Uuid>();
        self.links_of_theme.clear::<Uuid>();
        self.insights_of_cycle.clear();
        self.attempts_of_delivery.clear::<Uuid>();
        self.webhooks.clear::<Uuid>();
        self.initiatives_of_key_result.clear::<Uuid>();
        self.initiatives_of_person.clear::<Uuid>();
    }
}

fn cached<K, T>(loader: T) -> Cached<T>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: Loader<K>,
{
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()).delay(BATCH_DELAY)
}
