//! A realistic organization at a chosen scale, for benchmarks and for tests that prove a
//! read's cost does not grow with the data: nested teams, aligned objectives, key
//! results with weekly check-ins, and cross-team dependencies. The organization and its
//! admin come from the service's identity lookup; the rest goes in with bulk inserts in
//! one unit of work, with stored progress computed in memory by the service's own rollup
//! rule.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::*;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use service::events::Bus;
use service::permissions::TokenScope;
use service::rules::{rollup, scoring};
use service::unit_of_work::{Work, write};
use service::{FixedClock, Identity, OrgRole, Result, Scope, new_id, organizations};
use uuid::Uuid;

/// How big the generated organization is.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Teams in all, in three levels (company, departments, teams).
    pub teams: usize,
    pub objectives_per_team: usize,
    pub key_results_per_objective: usize,
    pub check_ins_per_key_result: usize,
}

impl Default for Scale {
    /// 200 teams, 4 objectives each, 4 key results each, 12 weekly check-ins each:
    /// 800 objectives, 3,200 key results, 38,400 check-ins.
    fn default() -> Self {
        Scale { teams: 200, objectives_per_team: 4, key_results_per_objective: 4, check_ins_per_key_result: 12 }
    }
}

/// What was generated, for callers that query it.
#[derive(Debug, Clone)]
pub struct Generated {
    pub organization_id: Uuid,
    pub cycle_id: Uuid,
    pub root_team_id: Uuid,
    pub team_ids: Vec<Uuid>,
    pub objectives: usize,
    pub key_results: usize,
    pub check_ins: usize,
}

/// Rows per bulk insert; SQLite allows at most 32,766 bound values per statement.
const CHUNK: usize = 400;

/// Generates an organization `slug` (admin subject `admin`) at `scale`, in the quarter
/// around `now`.
pub async fn organization(db: &DatabaseConnection, slug: &str, scale: Scale, now: DateTime<Utc>) -> Result<Generated> {
    let clock = FixedClock::new(now);
    organizations::provision(db, &clock, slug, &format!("Generated {slug}"), "UTC").await?;
    let identity = Identity { name: Some("Generated admin".into()), ..Identity::person(slug, "admin", OrgRole::Admin) };
    let admin = service::actor::identify(db, &clock, &identity).await?;
    let bus = Bus::local(1);
    let s = Scope { db, clock: &clock, actor: &admin, bus: &bus };
    let limit = |wanted: usize| Some((wanted.max(5) as i32).min(organizations::MAX_LIMIT));
    let policy = organizations::PolicyPatch {
        max_objectives_per_team: limit(scale.objectives_per_team),
        max_key_results_per_objective: limit(scale.key_results_per_objective),
        ..Default::default()
    };
    organizations::update_policy(s, policy).await?;
    let generated = write(s, TokenScope::Admin, |w| Box::pin(fill(w, scale))).await?;
    // A bulk load leaves the planner's statistics describing empty tables; until
    // autovacuum catches up it would pick the organization index over the key-result
    // one and read every check-in of the tenant.
    db.execute_unprepared("ANALYZE").await?;
    Ok(generated)
}

async fn fill(w: &mut Work<'_>, scale: Scale) -> Result<Generated> {
    let (org, now) = (w.org(), w.now());
    let teams = team_tree(org.id(), scale.teams, now);
    w.insert_many::<team::Entity>(teams.iter().cloned(), CHUNK).await?;
    let (people, memberships) = staff(org.id(), &teams, now);
    w.insert_many::<person::Entity>(people, CHUNK).await?;
    w.insert_many::<membership::Entity>(memberships.iter().cloned(), CHUNK).await?;

    let today = now.date_naive();
    let first_month = (today.month0() / 3) * 3 + 1;
    let starts_on = NaiveDate::from_ymd_opt(today.year(), first_month, 1).unwrap_or(today);
    let ends_on = starts_on + Duration::days(90);
    let cycle_id = new_id();
    let cycle = cycle::Model {
        id: cycle_id,
        organization_id: org.id(),
        parent_id: None,
        name: "Generated quarter".into(),
        starts_on,
        ends_on,
        state: CycleState::Active,
        closed_at: None,
        created_at: now,
        updated_at: now,
    };
    w.insert::<cycle::Entity>(cycle).await?;

    let okrs = okrs(org.id(), cycle_id, &teams, &memberships, scale, starts_on, now);
    w.insert_many::<objective::Entity>(okrs.objectives.iter().cloned(), CHUNK).await?;
    w.insert_many::<key_result::Entity>(okrs.key_results.iter().cloned(), CHUNK).await?;
    w.insert_many::<check_in::Entity>(okrs.check_ins.iter().cloned(), CHUNK).await?;
    w.insert_many::<dependency::Entity>(okrs.dependencies.iter().cloned(), CHUNK).await?;
    Ok(Generated {
        organization_id: org.id(),
        cycle_id,
        root_team_id: teams[0].id,
        team_ids: teams.iter().map(|t| t.id).collect(),
        objectives: okrs.objectives.len(),
        key_results: okrs.key_results.len(),
        check_ins: okrs.check_ins.len(),
    })
}

/// A company, √n departments under it, the rest of the teams under the departments.
fn team_tree(org: Uuid, count: usize, now: DateTime<Utc>) -> Vec<team::Model> {
    let count = count.max(1);
    let departments = ((count as f64).sqrt() as usize).clamp(usize::from(count > 1), count - 1);
    let team = |name: String, parent_id: Option<Uuid>| team::Model {
        id: new_id(),
        organization_id: org,
        parent_id,
        name,
        check_in_rhythm_days: None,
        archived_at: None,
        created_at: now,
        updated_at: now,
    };
    let mut teams = vec![team("Company".into(), None)];
    let root = teams[0].id;
    for d in 0..departments {
        teams.push(team(format!("Department {d}"), Some(root)));
    }
    for t in 0..count.saturating_sub(1 + departments) {
        let parent = teams[1 + t % departments.max(1)].id;
        teams.push(team(format!("Team {t}"), Some(parent)));
    }
    teams
}

/// A lead and a member per team.
fn staff(org: Uuid, teams: &[team::Model], now: DateTime<Utc>) -> (Vec<person::Model>, Vec<membership::Model>) {
    let mut people = Vec::new();
    let mut memberships = Vec::new();
    for (index, team) in teams.iter().enumerate() {
        for (role, suffix) in [(TeamRole::Lead, "lead"), (TeamRole::Member, "member")] {
            let person = person::Model {
                id: new_id(),
                organization_id: org,
                subject: format!("t{index}-{suffix}"),
                email: None,
                display_name: Some(format!("{} {suffix}", team.name)),
                created_at: now,
                updated_at: now,
            };
            memberships.push(membership::Model {
                id: new_id(),
                organization_id: org,
                team_id: team.id,
                person_id: person.id,
                role,
                title: None,
                created_at: now,
                updated_at: now,
            });
            people.push(person);
        }
    }
    (people, memberships)
}

struct Okrs {
    objectives: Vec<objective::Model>,
    key_results: Vec<key_result::Model>,
    check_ins: Vec<check_in::Model>,
    dependencies: Vec<dependency::Model>,
}

fn okrs(
    org: Uuid,
    cycle_id: Uuid,
    teams: &[team::Model],
    memberships: &[membership::Model],
    scale: Scale,
    starts_on: NaiveDate,
    now: DateTime<Utc>,
) -> Okrs {
    let mut out =
        Okrs { objectives: Vec::new(), key_results: Vec::new(), check_ins: Vec::new(), dependencies: Vec::new() };
    let mut by_team: std::collections::HashMap<Uuid, Vec<usize>> = Default::default();
    let start = starts_on.and_hms_opt(9, 0, 0).map(|t| t.and_utc()).unwrap_or(now);
    let mut kr_items = Vec::new();
    for (t, team) in teams.iter().enumerate() {
        let parents = team.parent_id.and_then(|p| by_team.get(&p)).cloned().unwrap_or_default();
        let member =
            memberships.iter().find(|m| m.team_id == team.id && m.role == TeamRole::Member).map(|m| m.person_id);
        for o in 0..scale.objectives_per_team {
            let parent = (!parents.is_empty()).then(|| out.objectives[parents[o % parents.len()]].id);
            let objective = objective::Model {
                id: new_id(),
                organization_id: org,
                team_id: team.id,
                cycle_id,
                title: format!("{} objective {o}", team.name),
                description: None,
                state: ObjectiveState::Active,
                parent_objective_id: parent,
                parent_key_result_id: None,
                alignment_kind: parent
                    .map(|_| if o % 4 == 3 { AlignmentKind::Supports } else { AlignmentKind::Contributes }),
                // Company and department objectives roll up their teams' objectives too.
                progress_driver: if t <= 1 + teams.len().isqrt() {
                    ProgressDriver::Both
                } else {
                    ProgressDriver::KeyResults
                },
                progress: 0.0,
                closing_note: None,
                final_score: None,
                carried_over_from_id: None,
                archived_at: None,
                created_at: now,
                updated_at: now,
            };
            let mut progress = Vec::new();
            for k in 0..scale.key_results_per_objective {
                let (kr, readings) =
                    key_result(org, &objective, k, t, member, scale.check_ins_per_key_result, start, now);
                progress.push((kr.progress, kr.weight));
                out.check_ins.extend(readings);
                out.key_results.push(kr);
            }
            kr_items.push(progress);
            by_team.entry(team.id).or_default().push(out.objectives.len());
            out.objectives.push(objective);
        }
        if t % 10 == 5 && t > 1 && !out.objectives.is_empty() {
            let from = out.objectives[out.objectives.len() - 1].id;
            let to = out.objectives[(t * 7) % (out.objectives.len() - 1)].id;
            out.dependencies.push(dependency::Model {
                id: new_id(),
                organization_id: org,
                from_objective_id: from,
                from_key_result_id: None,
                to_objective_id: to,
                to_key_result_id: None,
                note: Some("Needs this first".into()),
                state: DependencyState::Open,
                created_by_id: None,
                resolved_at: None,
                created_at: now,
                updated_at: now,
            });
        }
    }
    roll_up(&mut out.objectives, kr_items);
    out
}

/// Stored progress of every objective, children first, by the rule the service's
/// rollup applies: each key result with its weight, and each contributing objective.
fn roll_up(objectives: &mut [objective::Model], key_results: Vec<Vec<(f64, f64)>>) {
    let index: std::collections::HashMap<Uuid, usize> = objectives.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
    let mut contributors: Vec<Vec<f64>> = vec![Vec::new(); objectives.len()];
    for i in (0..objectives.len()).rev() {
        let o = &mut objectives[i];
        o.progress = rollup::objective_progress(
            o.progress_driver,
            key_results[i].iter().copied(),
            contributors[i].iter().copied(),
        );
        if let (Some(parent), Some(AlignmentKind::Contributes)) = (o.parent_objective_id, o.alignment_kind)
            && let Some(&p) = index.get(&parent)
        {
            contributors[p].push(o.progress);
        }
    }
}

#[expect(clippy::too_many_arguments, reason = "one generated row and its readings")]
fn key_result(
    org: Uuid,
    objective: &objective::Model,
    k: usize,
    t: usize,
    author: Option<Uuid>,
    mut readings: usize,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (key_result::Model, Vec<check_in::Model>) {
    let (from, to) = (100.0, 200.0 + (t % 7) as f64 * 10.0);
    let mut kr = key_result::Model {
        id: new_id(),
        organization_id: org,
        objective_id: objective.id,
        title: format!("{} result {k}", objective.title),
        kind: KeyResultKind::Increase,
        unit: KeyResultUnit::Number,
        unit_label: None,
        start_value: from,
        target_value: to,
        current_value: from,
        weight: 1.0 + (k % 2) as f64,
        driver_id: author,
        progress: 0.0,
        latest_confidence: None,
        check_in_count: 0,
        last_check_in_at: None,
        archived_at: None,
        created_at: now,
        updated_at: now,
    };
    let mut rows = Vec::new();
    let Some(author) = author else { return (kr, rows) };
    readings = readings.min(52);
    for week in 0..readings {
        let at = (start + Duration::weeks(week as i64)).min(now);
        let value = from + (to - from) * (week + 1) as f64 / (readings as f64 + (k + t) as f64 % 5.0 + 2.0);
        let confidence = if (t + k + week).is_multiple_of(9) { Confidence::AtRisk } else { Confidence::OnTrack };
        let seconds = at.timestamp().max(0) as u64;
        let id = Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, seconds, at.timestamp_subsec_nanos()));
        rows.push(check_in::Model {
            id,
            organization_id: org,
            key_result_id: kr.id,
            value,
            confidence,
            note: None,
            author_id: author,
            idempotency_key: None,
            recorded_at: at,
        });
        kr.current_value = value;
        kr.latest_confidence = Some(confidence);
        kr.check_in_count += 1;
        kr.last_check_in_at = Some(at);
    }
    kr.progress = scoring::key_result_progress(scoring::Measure {
        kind: kr.kind,
        start: kr.start_value,
        target: kr.target_value,
        current: kr.current_value,
    });
    (kr, rows)
}
