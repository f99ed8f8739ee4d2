// A team dashboard, a wall display and an integration written against the generated
// types, the way a frontend uses them. It is only type-checked, never run: when a change
// to schema.graphql breaks a field this code reads (renamed, removed, made nullable, a
// new value of an enum it maps), `tsc --strict` fails here as it would in that frontend.

import type {
  AlignmentTreeQuery,
  ChangeKind,
  CheckInEntryFragment,
  CheckInRecordedSubscription,
  Confidence,
  CycleInsightsQuery,
  CycleSummaryFragment,
  InsightItemFragment,
  InsightNoticeFieldsFragment,
  InsightsChangedSubscription,
  KeyResultHistoryQuery,
  KeyResultRowFragment,
  KeyResultUnit,
  ObjectiveCardFragment,
  ObjectiveChangedSubscription,
  ProgressChangedSubscription,
  RecordCheckInMutation,
  RecordCheckInMutationVariables,
  Severity,
  Status,
  TeamChangesSubscription,
  TeamDashboardQuery,
  TeamDashboardQueryVariables,
  ViewerQuery,
  WallObjectiveQuery,
} from "./generated/graphql";

/** The GraphQL response envelope; errors carry a stable `extensions.code`. */
interface Response<Data> {
  data?: Data | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** One request over HTTP, typed by the operation it sends. */
export async function request<Data, Variables>(
  endpoint: string,
  token: string,
  query: string,
  variables: Variables,
): Promise<Data> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Response<Data>;
  const first = body.errors?.[0];
  if (first) throw new Error(`${first.extensions?.code ?? "ERROR"}: ${first.message}`);
  if (!body.data) throw new Error(`no data (HTTP ${response.status})`);
  return body.data;
}

// What a display draws is mapped exhaustively: a new status, confidence, severity or unit
// fails to compile until the dashboard knows how to show it. Lists that grow by design
// (insight kinds and subjects, change kinds) get a fallback instead, as a client deployed
// before the server's next release needs.
const colours: Record<Status, string> = { GREEN: "#2e7d32", YELLOW: "#f9a825", RED: "#c62828" };
const confidences: Record<Confidence, string> = { ON_TRACK: "on track", AT_RISK: "at risk", OFF_TRACK: "off track" };
const severities: Record<Severity, number> = { CRITICAL: 0, WARNING: 1, INFO: 2 };

function unit(kind: KeyResultUnit, label: string | null): string {
  switch (kind) {
    case "PERCENT":
      return "%";
    case "DURATION_DAYS":
      return "days";
    case "CURRENCY":
    case "CUSTOM":
      return label ?? "";
    case "NUMBER":
      return "";
  }
}

export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}

/** Whole days from an RFC 3339 date-time (a `DateTime`) to `now`. */
export function daysSince(instant: string, now: Date): number {
  return Math.floor((now.getTime() - Date.parse(instant)) / 86_400_000);
}

export interface Bar {
  id: string;
  label: string;
  width: string;
  colour: string;
  /** How far behind what the cycle expects by now, 0 when ahead. */
  behind: number;
}

export function objectiveBar(objective: ObjectiveCardFragment): Bar {
  const team = objective.team?.name ?? "a former team";
  const behind = Math.max(0, objective.expectedProgress - objective.progress);
  const score = objective.finalScore === null ? "" : ` (scored ${percent(objective.finalScore)})`;
  return {
    id: objective.id,
    label: `${objective.title} · ${team}${score}`,
    width: percent(objective.progress),
    colour: colours[objective.status],
    behind,
  };
}

export function keyResultLine(keyResult: KeyResultRowFragment, now: Date): string {
  const units = unit(keyResult.unit, keyResult.unitLabel);
  const toGo = Math.abs(keyResult.targetValue - keyResult.currentValue);
  const figure = `${keyResult.currentValue} / ${keyResult.targetValue} ${units}, ${toGo.toFixed(1)} to go`;
  const heard =
    keyResult.lastCheckInAt === null ? "no check-in yet" : `${daysSince(keyResult.lastCheckInAt, now)} days ago`;
  const confidence = keyResult.latestConfidence === null ? "" : `, ${confidences[keyResult.latestConfidence]}`;
  const driver = keyResult.driver?.displayName ?? "nobody";
  return `${keyResult.title}: ${figure} (${percent(keyResult.progress)}; ${heard}${confidence}; driven by ${driver})`;
}

export function checkInLine(checkIn: CheckInEntryFragment): string {
  const who = checkIn.author?.displayName ?? "someone";
  const note = checkIn.note === null ? "" : ` — ${checkIn.note}`;
  const day = new Date(checkIn.recordedAt).toISOString().slice(0, 10);
  return `${day} ${who}: ${checkIn.value} (${confidences[checkIn.confidence]})${note}`;
}

/** Days left in a cycle; `endsOn` is a `Date`, an RFC 3339 full-date, its last day inclusive. */
export function daysLeft(cycle: CycleSummaryFragment, now: Date): number {
  const [year = 0, month = 1, day = 1] = cycle.endsOn.split("-").map(Number);
  return Math.max(0, Math.ceil((Date.UTC(year, month - 1, day + 1) - now.getTime()) / 86_400_000));
}

/** What an insight's figures add to its message; a kind this client does not know yet shows its message alone. */
export function figures(insight: InsightItemFragment): string {
  const f = insight.figures;
  switch (f.__typename) {
    case "BehindPaceFigures":
      return (
        `heading for ${percent(f.projectedScore)} of ${percent(f.stretchTarget)} ` +
        `(${f.slopePerWeek.toFixed(3)}/week over ${f.checkIns} check-ins)`
      );
    case "StaleFigures":
      return `${f.daysWithoutCheckIn} days without a check-in (rhythm ${f.rhythmDays})`;
    case "ConfidenceFallingFigures":
      return f.confidences.map((c) => confidences[c]).join(" → ");
    case "BlockedByDependencyFigures":
      return f.blockerRed ? "the blocker is RED" : `the blocker heads for ${percent(f.blockerProjectedScore ?? 0)}`;
    case "FocusBreachFigures":
      return `${f.count} of at most ${f.limit} ${f.keyResults ? "key results" : "objectives"}`;
    case "UnassignedWorkFigures":
      return (
        `${percent(f.progress)} where ${percent(f.expectedProgress)} is expected` +
        (f.forecast === null ? "" : `, heading for ${percent(f.forecast)}`)
      );
    case "ActivityKeyResultFigures":
      return `reads as work to do: ${f.matchedWords.join(", ")}`;
    default:
      return "";
  }
}

export function subjectName(insight: InsightItemFragment): string {
  const subject = insight.subject;
  if (subject === null) return "";
  switch (subject.__typename) {
    case "KeyResult":
    case "Objective":
      return subject.title;
    case "Team":
    case "Theme":
      return subject.name;
    case "Dependency":
      return "a dependency";
    default:
      return "";
  }
}

/** The team page, from one `TeamDashboard` request. */
export function teamPage(data: TeamDashboardQuery, now: Date): string[] {
  const { dashboard } = data;
  const counts = dashboard.statusCounts;
  const lines = [
    `${dashboard.team.name} — ${dashboard.cycle.name}, ${daysLeft(dashboard.cycle, now)} days left ` +
      `(${percent(dashboard.cycle.elapsed)} elapsed)`,
    `${counts.green} green, ${counts.yellow} yellow, ${counts.red} red`,
  ];
  for (const objective of dashboard.objectives) {
    const bar = objectiveBar(objective);
    const parent =
      objective.parent === null ? "" : ` → ${objective.parent.title} (${percent(objective.parent.progress)})`;
    lines.push(`${bar.label} ${bar.width}${parent}`);
    lines.push(...objective.keyResults.nodes.map((kr) => `  ${keyResultLine(kr, now)}`));
  }
  for (const need of dashboard.dependsOn)
    lines.push(`needs ${need.to?.title ?? "?"} from ${need.to?.team?.name ?? "?"} (${need.state})`);
  const insights = [...dashboard.insights].sort((a, b) => severities[a.severity] - severities[b.severity]);
  lines.push(...insights.map((i) => `${i.severity}: ${i.message} ${figures(i)}`));
  lines.push(
    ...data.dueCheckIns.map(
      (due) => `${due.keyResult.title}: ${due.overdue ? `${due.daysOverdue} days overdue` : `due ${due.dueAt}`}`,
    ),
  );
  return lines;
}

export function dashboardVariables(viewer: ViewerQuery, cycleId: string): TeamDashboardQueryVariables | null {
  const first = viewer.viewer.memberships[0];
  return first?.team ? { teamId: first.team.id, cycleId } : null;
}

/** The alignment tree as an indented outline, children under their parents. */
export function outline(data: AlignmentTreeQuery): string[] {
  return data.alignmentTree.nodes.map((node) => {
    const o = node.objective;
    const latest = o.keyResults.nodes.flatMap((kr) => kr.checkIns.nodes.slice(0, 1).map(checkInLine));
    const aligned = node.parentId === null ? "" : " ↑";
    return `${"  ".repeat(node.depth)}${o.title} ${percent(o.progress)}${aligned} ${latest.join("; ")}`;
  });
}

/** The next page of a key result's history, or null at the end. */
export function nextPage(data: KeyResultHistoryQuery): { id: string; first: number; after: string } | null {
  const { pageInfo } = data.keyResult.checkIns;
  return pageInfo.hasNextPage && pageInfo.endCursor !== null
    ? { id: data.keyResult.id, first: 20, after: pageInfo.endCursor }
    : null;
}

export function wall(data: WallObjectiveQuery): Bar[] {
  return [data.objective, ...data.objective.alignedObjectives.nodes].map(objectiveBar);
}

export function criticalStrip(data: CycleInsightsQuery): string[] {
  return data.insights.nodes.filter((i) => i.severity === "CRITICAL").map((i) => `${subjectName(i)}: ${i.message}`);
}

/** A check-in with a key the client keeps until it hears back, so a retry is recorded once. */
export function checkInVariables(
  keyResultId: string,
  value: number,
  confidence: Confidence,
  note: string | null,
): RecordCheckInMutationVariables {
  return { input: { keyResultId, value, confidence, note, idempotencyKey: crypto.randomUUID() } };
}

export function checkedIn(result: RecordCheckInMutation): string {
  const { checkIn, keyResult, objective, replayed } = result.checkIn;
  const rolled = objective === null ? "" : `; the objective is at ${percent(objective.progress)} (${objective.status})`;
  const what = replayed ? "already recorded" : "recorded";
  return `${what} ${checkIn.value}: ${keyResult.title} is at ${percent(keyResult.progress)}${rolled}`;
}

/** Moves the wall's bars from a progress event; `resync` means events were missed: refetch. */
export function applyProgress(
  bars: Map<string, Bar>,
  event: ProgressChangedSubscription["progressChanged"],
): "refetch" | "moved" {
  if (event.resync) return "refetch";
  for (const figures of event.chain) {
    const bar = bars.get(figures.objectiveId);
    if (bar)
      bars.set(figures.objectiveId, {
        ...bar,
        width: percent(figures.progress),
        colour: colours[figures.status],
        behind: Math.max(0, figures.expectedProgress - figures.progress),
      });
  }
  if (event.keyResultId !== null && event.keyResultProgress !== null) {
    const bar = bars.get(event.keyResultId);
    if (bar) bars.set(event.keyResultId, { ...bar, width: percent(event.keyResultProgress) });
  }
  return "moved";
}

export function feedLine(event: CheckInRecordedSubscription["checkInRecorded"]): string | null {
  if (event.resync || event.value === null || event.at === null) return null;
  const confidence = event.confidence === null ? "" : ` (${confidences[event.confidence]})`;
  return `${event.at}: ${event.value}${confidence} on ${event.keyResultId ?? "?"}`;
}

/** The insights a display shows after a change; `resync` asks for a refetch (null). */
export function applyInsights(
  shown: InsightNoticeFieldsFragment[],
  change: InsightsChangedSubscription["insightsChanged"],
): InsightNoticeFieldsFragment[] | null {
  if (change.resync) return null;
  const cleared = new Set(change.cleared.map((c) => c.id));
  const kept = shown.filter((i) => !cleared.has(i.id) && !change.appeared.some((a) => a.id === i.id));
  return [...kept, ...change.appeared].sort((a, b) => severities[a.severity] - severities[b.severity]);
}

// What a team page refetches when something it shows changes.
const refetch: Partial<Record<ChangeKind, string>> = {
  CYCLE: "cycles",
  DEPENDENCY: "dashboard",
  INITIATIVE: "initiatives",
  MEMBERSHIP: "members",
  POLICY: "organization",
  TEAM: "team",
  TEAM_WEEK: "teamWeek",
  THEME: "strategyMap",
};

export function toRefetch(
  event: TeamChangesSubscription["changes"] | ObjectiveChangedSubscription["objectiveChanged"],
): string {
  if (event.resync) return "everything";
  if ("kind" in event) return (event.kind === null ? undefined : refetch[event.kind]) ?? "everything";
  return event.objectiveId === null ? "dashboard" : `objective ${event.objectiveId}`;
}
