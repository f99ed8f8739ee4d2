#!/usr/bin/env python3
"""A bounded GraphQL fuzzer for Trellis (run it through `tests/fuzz/run`).

It starts `trellis serve --demo` on a free loopback port and a throwaway SQLite file,
generates queries and mutations from schema.graphql with hypothesis-graphql (valid ones
and ones with one schema violation, with strategies for every custom scalar, Ints out of
range and real global ids from the demo), sends each one over HTTP as a client would,
some with their argument values moved into variables, and flags:

  * an HTTP status of 500 or more, or no answer at all (the server died or hung);
  * a body that is not JSON, or JSON without `data` or `errors`;
  * an error without `extensions.code` (every error a client can cause carries one);
  * a panic in the server's log.

The requests in corpus.json (earlier findings) go first, every run. Findings are grouped
by class (kind plus the error message with numbers and quoted values masked); each class
keeps its shortest request, which is then reduced further by deleting selections,
arguments and values for as long as the same class still shows.
It ends with the line `N passed, M failed`: N requests that were fine, M finding classes.

Environment: FUZZ_SECONDS (total budget, default 75), FUZZ_SEED (default 0),
FUZZ_RANDOM=1 (a random seed, printed so the run can be repeated), FUZZ_REPORT (a JSON
file for the findings, default tests/fuzz/out/findings.json), FUZZ_STATS=1 (print the error
codes and message shapes seen, to check what the generated requests reach).
"""

from __future__ import annotations

import argparse
import atexit
import base64
import dataclasses
import datetime as dt
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import graphql
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

BUILT_IN_SCALARS = {"Int", "Float", "String", "ID", "Boolean"}
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
ORG_SLUG = "company-x"  # seed::demo::SLUG
ADMIN_SUBJECT = "dana"  # seed::demo::ADMIN_SUBJECT
# Small enough each to stay under the server's complexity limit.
HARVEST_QUERIES = [
    "{ organization { id } viewer { person { id } memberships { id } } }",
    "{ teams(first: 50) { edges { node { id } } } cycles(first: 50) { edges { node { id } } } }",
    "{ objectives(first: 50) { edges { node { id keyResults(first: 10) { edges { node { id } } }"
    " dependsOn(first: 5) { edges { node { id } } } } } } }",
    "{ teams(first: 20) { edges { node { members(first: 20) { edges { node { id person { id } } } } } } } }",
    "{ objectives(first: 10) { edges { node { keyResults(first: 10) { edges { node {"
    " checkIns(first: 3) { edges { node { id } } } initiatives(first: 5) { edges { node { id } } } } } } } } } }",
]


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------- the server


def die_with_parent() -> None:
    """In the child: SIGTERM when the fuzzer goes, even by SIGKILL (Linux's PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class Server:
    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.secret = "fuzz-" + secrets.token_hex(16)
        self.db = workdir / "fuzz.db"
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.starts = 0

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TRELLIS_JWT_SECRET"] = self.secret
        for name in ("DATABASE_URL", "TRELLIS_LISTEN", "RUST_LOG", "TRELLIS_LOG_JSON"):
            env.pop(name, None)
        env["NO_COLOR"] = "1"
        # One fuzzer is one caller sending as fast as it can: the rate limits would answer
        # most of its requests with 429 instead of running them (tests/e2e/abuse.rs covers them).
        env["TRELLIS_RATE_PER_SUBJECT"] = "0"
        env["TRELLIS_RATE_PER_ADDRESS"] = "0"
        return env

    def start(self) -> None:
        self.starts += 1
        logfile = open(self.log_path, "ab")
        offset = self.log_path.stat().st_size
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--demo", "--listen", "127.0.0.1:0", "--database-url", f"sqlite://{self.db}"],
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env(),
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        logfile.close()
        deadline = time.monotonic() + 60
        pattern = re.compile(r"Trellis is serving (http://\S+/graphql)")
        while time.monotonic() < deadline:
            text = self.log_path.read_bytes()[offset:].decode("utf-8", "replace")
            match = pattern.search(text)
            if match:
                self.url = match.group(1)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        tail = self.log_path.read_bytes()[offset:].decode("utf-8", "replace")[-3000:]
        self.stop()
        raise RuntimeError(f"the server did not start:\n{tail}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def token(self) -> str:
        out = subprocess.run(
            [self.binary, "token", "--org", ORG_SLUG, "--sub", ADMIN_SUBJECT, "--role", "admin", "--ttl", "12h"],
            env=self.env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return out.stdout.strip().splitlines()[-1]

    def log_text(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace")


# --------------------------------------------------------------------------- HTTP and judging


class Client:
    def __init__(self, server: Server, token: str) -> None:
        self.server = server
        self.token = token

    def post(self, query: str, variables: dict | None) -> tuple[int | None, str]:
        LAST_QUERY[0] = query + (" variables: " + json.dumps(variables) if variables else "")
        payload: dict = {"query": query}
        if variables:
            payload["variables"] = variables
        request = urllib.request.Request(
            self.server.url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/graphql-response+json, application/json;q=0.9",
                "Authorization": f"Bearer {self.token}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=40) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as error:
            return None, f"{type(error).__name__}: {error}"


def mask(text: str) -> str:
    """The shape of a message: quoted values, numbers and ids masked, so one bug is one class."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '"…"', text)
    text = re.sub(r"'(?:[^'\\]|\\.)*'", "'…'", text)
    text = re.sub(r"-?\d+(\.\d+)?(e[+-]?\d+)?", "N", text)
    return text[:160]


CODES: dict[str, int] = {}
MESSAGES: dict[str, int] = {}  # with FUZZ_STATS=1: code and message shape of every coded error
EXAMPLES: dict[str, str] = {}
LAST_QUERY = [""]
STATS = os.environ.get("FUZZ_STATS") == "1"


def judge(status: int | None, body: str) -> tuple[str, str] | None:
    """None when the answer is fine, else (class key, short reason). Counts the codes seen."""
    if status is None:
        return ("no response", body[:200]), body[:200]
    if status >= 500:
        return ("HTTP 5xx", f"{status} {mask(body)}"), f"HTTP {status}"
    try:
        document = json.loads(body)
    except ValueError:
        return ("non-JSON body", f"{status} {mask(body)[:80]}"), f"HTTP {status}, body not JSON"
    if not isinstance(document, dict) or ("data" not in document and "errors" not in document):
        return ("JSON without data or errors", str(status)), "neither data nor errors"
    if not document.get("errors"):
        CODES["(data, no errors)"] = CODES.get("(data, no errors)", 0) + 1
    for error in document.get("errors") or []:
        code = error.get("extensions", {}).get("code") if isinstance(error, dict) else None
        if code:
            CODES[str(code)] = CODES.get(str(code), 0) + 1
            if STATS:
                shape = f"{code}: {mask(str(error.get('message', '')))[:100]}"
                MESSAGES[shape] = MESSAGES.get(shape, 0) + 1
                EXAMPLES.setdefault(shape, LAST_QUERY[0])
        if not code:
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            kind = "uncoded error" + (" (with path)" if isinstance(error, dict) and "path" in error else "")
            return (kind, mask(message)), f"HTTP {status}, error without extensions.code: {message[:200]}"
    return None


# --------------------------------------------------------------------------- strategies


def value_node(value) -> graphql.ValueNode:
    """A GraphQL literal for a JSON value (for the JSON scalar)."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, float):
        return graphql.FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return graphql.StringValueNode(value=value)
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(value_node(item) for item in value))
    return graphql.ObjectValueNode(
        fields=tuple(
            graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=value_node(item))
            for key, item in value.items()
        )
    )


def name_like(text: str) -> str:
    """Object keys in a GraphQL literal must be names."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", text) or "k"
    return cleaned if not cleaned[0].isdigit() else "_" + cleaned


def scalar_strategies(schema: graphql.GraphQLSchema, ids: list[str]) -> dict[str, st.SearchStrategy]:
    junk = st.text(max_size=40).map(nodes.String)
    def rfc3339_text(moment: dt.datetime, offset_minutes: int | None) -> str:
        if offset_minutes is None:
            return moment.isoformat() + "Z"
        sign = "-" if offset_minutes < 0 else "+"
        return f"{moment.isoformat()}{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"

    rfc3339 = st.one_of(
        st.builds(
            rfc3339_text,
            st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
            st.none() | st.integers(-(23 * 60 + 59), 23 * 60 + 59),
        ),
        st.sampled_from(["2026-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00", "9999-12-31T23:59:59.999999999Z"]),
    )
    dates = st.one_of(
        st.dates().map(lambda day: day.isoformat()),
        st.sampled_from(["2026-02-29", "2026-13-01", "0000-01-01", "+10000-01-01", "2026-1-1"]),
    )
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8).map(name_like), children, max_size=4),
        max_leaves=12,
    )
    # Mostly Ints a client would send; about one in eight out of the 32-bit range.
    ints = st.one_of(
        *[st.integers(-5, 200)] * 4,
        st.integers(INT_MIN, INT_MAX),
        st.integers(INT_MIN, INT_MAX),
        st.sampled_from([0, -1, 1, INT_MIN, INT_MAX]),
        st.sampled_from([INT_MIN - 1, INT_MAX + 1, 2**53, -15506765264, 10**30]) | st.integers(-(2**70), 2**70),
    ).map(nodes.Int)
    id_strings = [st.text(max_size=30), st.integers().map(str)]
    if ids:
        id_strings.insert(0, st.sampled_from(ids))
        id_strings.insert(0, st.sampled_from(ids))  # real ids twice as often
    known = {
        "DateTime": st.one_of(*[rfc3339.map(nodes.String)] * 3, junk),
        "NaiveDate": st.one_of(*[dates.map(nodes.String)] * 3, junk),
        "Date": st.one_of(*[dates.map(nodes.String)] * 3, junk),
        "JSON": json_values.map(value_node),
        "ID": st.one_of(*id_strings).map(nodes.String) | st.integers(-(2**40), 2**40).map(nodes.Int),
        "Int": ints,
    }
    result = {}
    for name, type_ in schema.type_map.items():
        if not isinstance(type_, graphql.GraphQLScalarType) or name.startswith("__"):
            continue
        if name in known:
            result[name] = known[name]
        elif name not in BUILT_IN_SCALARS:
            log(f"note: no strategy for the custom scalar {name}; using strings and numbers")
            result[name] = junk | st.integers().map(nodes.Int) | st.floats(allow_nan=False).map(nodes.Float)
    return result


def literal_to_json(node: graphql.ValueNode):
    if isinstance(node, graphql.NullValueNode):
        return None
    if isinstance(node, graphql.IntValueNode):
        return int(node.value)
    if isinstance(node, graphql.FloatValueNode):
        return float(node.value)
    if isinstance(node, (graphql.StringValueNode, graphql.EnumValueNode)):
        return node.value
    if isinstance(node, graphql.BooleanValueNode):
        return node.value
    if isinstance(node, graphql.ListValueNode):
        return [literal_to_json(item) for item in node.values]
    if isinstance(node, graphql.ObjectValueNode):
        return {field.name.value: literal_to_json(field.value) for field in node.fields}
    raise TypeError(type(node).__name__)


def to_variables(schema: graphql.GraphQLSchema, query: str) -> tuple[str, dict] | None:
    """The same operation with every argument value passed as a variable of the argument's type."""
    document = graphql.parse(query)
    type_info = graphql.TypeInfo(schema)
    types: dict[int, graphql.GraphQLInputType] = {}

    class Collect(graphql.Visitor):
        def enter_argument(self, node, *_):
            argument = type_info.get_argument()
            if argument is not None:
                types[id(node)] = argument.type

    graphql.visit(document, graphql.TypeInfoVisitor(type_info, Collect()))
    if not types:
        return None
    definitions: list[graphql.VariableDefinitionNode] = []
    variables: dict = {}

    class Replace(graphql.Visitor):
        def enter_argument(self, node, *_):
            type_ = types.get(id(node))
            if type_ is None:
                return None
            name = f"v{len(definitions)}"
            variables[name] = literal_to_json(node.value)
            variable = graphql.VariableNode(name=graphql.NameNode(value=name))
            definitions.append(
                graphql.VariableDefinitionNode(variable=variable, type=graphql.parse_type(str(type_)), directives=())
            )
            return dataclasses.replace(node, value=variable)

    document = graphql.visit(document, Replace())
    document = dataclasses.replace(
        document,
        definitions=tuple(
            dataclasses.replace(d, variable_definitions=tuple(definitions))
            if isinstance(d, graphql.OperationDefinitionNode)
            else d
            for d in document.definitions
        ),
    )
    return graphql.print_ast(document), variables


ID_KINDS = ("KeyResult", "CheckIn", "Membership", "Dependency", "Initiative", "Objective", "Cycle", "Team", "Person")


def id_kind(global_id: str) -> str | None:
    """The type name a global id carries (base64url of `Type:uuid`)."""
    try:
        text = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return text.split(":", 1)[0] if ":" in text else None


def retarget_ids(schema: graphql.GraphQLSchema, query: str, ids_by_kind: dict[str, list[str]], rng) -> str:
    """Puts real ids of the kind an ID argument or input field most likely wants (guessed from
    its name, then its input type's or field's name) in place of about two thirds of the
    ID string literals, so that more requests get past the id checks."""
    document = graphql.parse(query)
    type_info = graphql.TypeInfo(schema)

    def guess(*names: str) -> str | None:
        for name in names:
            for kind in ID_KINDS:
                if kind.lower() in (name or "").lower() and ids_by_kind.get(kind):
                    return kind
        return None

    def replace(value: graphql.ValueNode, kind: str | None):
        if kind is None or not isinstance(value, graphql.StringValueNode) or rng.random() > 0.67:
            return None
        return graphql.StringValueNode(value=rng.choice(ids_by_kind[kind]))

    class Retarget(graphql.Visitor):
        def enter_argument(self, node, *_):
            argument, field = type_info.get_argument(), type_info.get_field_def()
            if argument is None or graphql.get_named_type(argument.type).name != "ID":
                return None
            field_name = field.ast_node.name.value if field is not None and field.ast_node else ""
            new = replace(node.value, guess(node.name.value.removesuffix("Id"), field_name))
            return None if new is None else dataclasses.replace(node, value=new)

        def enter_object_field(self, node, *_):
            parent = type_info.get_parent_input_type()
            input_type = type_info.get_input_type()
            if input_type is None or graphql.get_named_type(input_type).name != "ID":
                return None
            parent_name = graphql.get_named_type(parent).name if parent is not None else ""
            new = replace(node.value, guess(node.name.value.removesuffix("Id"), parent_name))
            return None if new is None else dataclasses.replace(node, value=new)

    return graphql.print_ast(graphql.visit(document, graphql.TypeInfoVisitor(type_info, Retarget())))


# --------------------------------------------------------------------------- reducing a finding


REMOVABLE = ("selections", "arguments", "values", "fields", "variable_definitions")


def removal_sites(node, trail=()):
    """(trail to a tuple attribute, index) for every list item that could be deleted."""
    if isinstance(node, graphql.Node):
        for key in node.keys:
            child = getattr(node, key, None)
            if isinstance(child, (tuple, list)):
                if key in REMOVABLE:
                    for index in range(len(child)):
                        yield trail + (key,), index
                for index, item in enumerate(child):
                    yield from removal_sites(item, trail + (key, index))
            elif isinstance(child, graphql.Node):
                yield from removal_sites(child, trail + (key,))


def without(node, trail: tuple, index: int):
    """A copy of `node` without item `index` of the tuple at `trail` (the nodes are frozen)."""
    attribute = trail[0]
    value = getattr(node, attribute)
    if len(trail) == 1:
        return dataclasses.replace(node, **{attribute: tuple(v for i, v in enumerate(value) if i != index)})
    if isinstance(trail[1], int):
        items = list(value)
        items[trail[1]] = without(items[trail[1]], trail[2:], index)
        return dataclasses.replace(node, **{attribute: tuple(items)})
    return dataclasses.replace(node, **{attribute: without(value, trail[1:], index)})


def prune_variables(document: graphql.DocumentNode, variables: dict) -> tuple[graphql.DocumentNode, dict]:
    """Drops the variables (definitions and values) that nothing uses any more."""
    used: set[str] = set()

    class Uses(graphql.Visitor):
        def enter_variable_definition(self, *_):
            return graphql.SKIP

        def enter_variable(self, node, *_):
            used.add(node.name.value)

    graphql.visit(document, Uses())
    document = dataclasses.replace(
        document,
        definitions=tuple(
            dataclasses.replace(
                d, variable_definitions=tuple(v for v in d.variable_definitions if v.variable.name.value in used)
            )
            if isinstance(d, graphql.OperationDefinitionNode) and d.variable_definitions
            else d
            for d in document.definitions
        ),
    )
    return document, {name: value for name, value in variables.items() if name in used}


def json_removal_sites(value, trail=()):
    """(trail, key or index) for every object member and list item inside the variables."""
    if isinstance(value, dict):
        for key, item in value.items():
            if trail:  # the top level is the variables themselves: they go with their uses
                yield trail, key
            yield from json_removal_sites(item, trail + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield trail, index
            yield from json_removal_sites(item, trail + (index,))


def json_without(value, trail: tuple, key):
    copied = json.loads(json.dumps(value))
    parent = copied
    for step in trail:
        parent = parent[step]
    del parent[key]
    return copied


def reduce_finding(client: Client, finding: dict, key: tuple, deadline: float, max_tries: int = 200) -> None:
    document = graphql.parse(finding["query"])
    variables = dict(finding["variables"] or {})
    tries = 0
    progress = True
    while progress and tries < max_tries and time.monotonic() < deadline:
        progress = False
        candidates = [("ast", trail, index) for trail, index in removal_sites(document)]
        candidates += [("json", trail, key) for trail, key in json_removal_sites(variables)]
        for where, trail, index in candidates:
            if tries >= max_tries or time.monotonic() >= deadline:
                break
            if where == "ast":
                candidate, candidate_variables = prune_variables(without(document, trail, index), variables)
            else:
                candidate, candidate_variables = document, json_without(variables, trail, index)
            query = graphql.print_ast(candidate)
            tries += 1
            status, body = client.post(query, candidate_variables)
            verdict = judge(status, body)
            if verdict is not None and verdict[0] == key:
                document, variables = candidate, candidate_variables
                finding.update(query=query, variables=candidate_variables, status=status, body=body)
                progress = True
                break
            if not client.server.alive():
                client.server.start()


# --------------------------------------------------------------------------- the run


def harvest_ids(client: Client) -> list[str]:
    ids: set[str] = set()

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "id" and isinstance(item, str):
                    ids.add(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for query in HARVEST_QUERIES:
        status, body = client.post(query, None)
        try:
            document = json.loads(body)
        except ValueError:
            document = {}
        walk(document.get("data"))
        if status != 200 or document.get("errors"):
            log(f"note: an id harvest query failed (HTTP {status}): {body[:300]}")
    log(f"harvested {len(ids)} global ids from the demo")
    return sorted(ids)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", "75")))
    parser.add_argument("--report", default=os.environ.get("FUZZ_REPORT", str(Path(__file__).parent / "out" / "findings.json")))
    args = parser.parse_args()

    if os.environ.get("FUZZ_RANDOM") == "1":
        base_seed = random.SystemRandom().randrange(2**32)
    else:
        base_seed = int(os.environ.get("FUZZ_SEED", "0"))
    started = time.monotonic()
    end_of_fuzzing = started + args.seconds * 0.8
    end_of_reducing = started + args.seconds

    schema_text = Path(args.schema).read_text()
    schema = graphql.build_schema(schema_text)
    workdir = Path(tempfile.mkdtemp(prefix="trellis-fuzz-"))
    server = Server(args.bin, workdir)
    atexit.register(server.stop)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))

    passed = 0
    findings: dict[tuple, dict] = {}
    counts: dict[tuple, int] = {}
    try:
        server.start()
        log(f"server at {server.url} (log {server.log_path}); seed {base_seed}; budget {args.seconds:.0f} s")
        client = Client(server, server.token())
        ids = harvest_ids(client)
        scalars = scalar_strategies(schema, ids)
        operations = st.one_of(
            from_schema(schema, custom_scalars=scalars, mode=Mode.POSITIVE),
            from_schema(schema, custom_scalars=scalars, mode=Mode.NEGATIVE),
        )
        ids_by_kind: dict[str, list[str]] = {}
        for global_id in ids:
            ids_by_kind.setdefault(id_kind(global_id) or "?", []).append(global_id)
        log("ids by kind: " + ", ".join(f"{kind} {len(items)}" for kind, items in sorted(ids_by_kind.items())))
        requests = st.tuples(operations, st.booleans(), st.integers(0, 2**32 - 1))

        def check(item) -> None:
            if time.monotonic() >= end_of_fuzzing:
                return
            query, use_variables, rng_seed = item
            rng = random.Random(rng_seed)  # not st.randoms(): its draws would depend on the budget
            variables: dict = {}
            if ids_by_kind:
                try:
                    query = retarget_ids(schema, query, ids_by_kind, rng)
                except Exception:  # a negative example the rewrite cannot type: leave it
                    pass
            if use_variables:
                try:
                    moved = to_variables(schema, query)
                except Exception:  # a negative example the rewrite cannot type: send it inline
                    moved = None
                if moved is not None:
                    query, variables = moved
            check_one(query, variables)

        def check_one(query: str, variables: dict) -> None:
            nonlocal passed
            status, body = client.post(query, variables)
            verdict = judge(status, body)
            if verdict is None:
                passed += 1
                return
            key, reason = verdict
            counts[key] = counts.get(key, 0) + 1
            size = len(query) + len(json.dumps(variables))
            known = findings.get(key)
            if known is None or size < known["size"]:
                if known is None:
                    log(f"FINDING [{key[0]}] {reason}")
                findings[key] = dict(
                    kind=key[0], reason=reason, size=size, query=query, variables=variables, status=status, body=body
                )
            if not server.alive():
                log("the server died; restarting it")
                server.start()

        # Earlier findings first, every run, so that none comes back unnoticed.
        for entry in json.loads((Path(__file__).parent / "corpus.json").read_text()):
            check_one(entry["query"], entry.get("variables") or {})

        rounds = 0
        while time.monotonic() < end_of_fuzzing:
            test = settings(
                max_examples=50,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
                verbosity=Verbosity.quiet,
            )(seed(base_seed + rounds)(given(requests)(check)))
            try:
                test()
            except Exception as error:  # the fuzzer's own trouble, not the server's: go on
                log(f"note: round {rounds} stopped: {type(error).__name__}: {str(error)[:300]}")
            rounds += 1

        for key, finding in findings.items():
            if time.monotonic() >= end_of_reducing:
                break
            reduce_finding(client, finding, key, end_of_reducing)
    finally:
        server.stop()

    panics = re.findall(r"panicked at [^\n]*", server.log_text())
    for line in sorted(set(panics)):
        key = ("server panic", line)
        findings[key] = dict(kind="server panic", reason=line, query="", variables={}, status=None, body="")
        counts[key] = panics.count(line)

    elapsed = time.monotonic() - started
    report = []
    for number, (key, finding) in enumerate(findings.items(), 1):
        log(f"\n--- finding {number}: {finding['kind']} ({counts.get(key, 0)} requests): {finding['reason']}")
        if finding["query"]:
            log(f"query:     {' '.join(finding['query'].split())}")
            if finding["variables"]:
                log(f"variables: {json.dumps(finding['variables'])}")
            log(f"status:    {finding['status']}")
            log(f"response:  {finding['body'][:600]}")
        report.append({k: v for k, v in finding.items() if k != "size"} | {"requests": counts.get(key, 0)})
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(json.dumps(report, indent=2) + "\n")
    failing = sum(counts.values())
    for shape, n in sorted(MESSAGES.items(), key=lambda kv: -kv[1])[:25]:
        log(f"  {n:6d}  {shape}")
        log(f"          e.g. {' '.join(EXAMPLES[shape].split())[:300]}")
    log("\nanswers seen: " + ", ".join(f"{code} {n}" for code, n in sorted(CODES.items(), key=lambda kv: -kv[1])))
    log(
        f"\n{passed + failing} requests in {elapsed:.0f} s (seed {base_seed}), {failing} of them failing; "
        f"server started {server.starts} time(s); report {args.report}; server log {server.log_path}"
    )
    log(f"{passed} passed, {len(findings)} failed")
    if not findings:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
