//! `/graphql`: GraphQL over HTTP (POST JSON, GET for queries), GraphiQL for browsers.
//!
//! Every request is authenticated before anything else; a failure is 401 with
//! `UNAUTHENTICATED`. Bodies are bounded, media types negotiated, and request errors
//! answered with the status the GraphQL-over-HTTP specification asks for.

use crate::graphql::context::RequestData;
use crate::graphql::error::{UNAVAILABLE, UNAVAILABLE_MESSAGE};
use crate::graphql::guard;
use crate::graphql::loaders::Loaders;
use crate::http::AppState;
use crate::http::rate;
use crate::http::reply::{self, Media};
use crate::http::spans;
use async_graphql::parser::types::OperationType;
use async_graphql::{ErrorExtensions, ServerError, Value};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tracing::Instrument;

/// GET: GraphiQL for a browser, otherwise a query from the URL.
pub async fn get(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    if query.is_empty() && wants_html(&headers) {
        let (page, policy) = &*crate::http::browser::GRAPHIQL;
        let policy = HeaderValue::from_str(policy).unwrap_or(HeaderValue::from_static("default-src 'none'"));
        return ([(header::CONTENT_SECURITY_POLICY, policy)], Html(page.as_str())).into_response();
    }
    let Some(media) = Media::negotiate(&headers) else {
        return not_acceptable();
    };
    match async_graphql::http::parse_query_string(&query) {
        Ok(request) => execute(&state, &headers, media, request, Method::Get).await,
        Err(error) => reply::error(
            StatusCode::BAD_REQUEST,
            media,
            "BAD_REQUEST",
            &format!("invalid GraphQL GET request: {error}"),
        ),
    }
}

/// POST: a JSON body `{query, variables, operationName}`; with `Accept:
/// text/event-stream`, the answer streams as Server-Sent Events (subscriptions).
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = Media::negotiate(&headers) else {
        return not_acceptable();
    };
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let streaming = accept.is_some_and(|a| a.contains("text/event-stream"));
    if !is_json(&headers) {
        return reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "BAD_REQUEST",
            "send the request as `Content-Type: application/json`",
        );
    }
    let limit = state.limits.max_body_bytes;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let message = format!("the request body is larger than the limit of {limit} bytes");
            return reply::error(StatusCode::PAYLOAD_TOO_LARGE, media, "PAYLOAD_TOO_LARGE", &message);
        }
    };
    if is_batch(&bytes) {
        let message = "batched requests (a JSON array of operations) are not supported: send one operation per request";
        return reply::error(StatusCode::BAD_REQUEST, media, "BAD_REQUEST", message);
    }
    match serde_json::from_slice::<async_graphql::Request>(&bytes) {
        Ok(request) if streaming => crate::http::sse::stream(&state, &headers, request).await,
        Ok(request) => execute(&state, &headers, media, request, Method::Post).await,
        Err(error) => reply::error(
            StatusCode::BAD_REQUEST,
            media,
            "BAD_REQUEST",
            &format!("the body must be JSON like {{\"query\": \"…\", \"variables\": {{}}}}: {error}"),
        ),
    }
}

/// The code of a document the guard's rules refuse.
const GUARD_REFUSAL: &str = "GRAPHQL_VALIDATION_FAILED";

#[derive(PartialEq)]
enum Method {
    Get,
    Post,
}

/// Why a caller could not be identified: a status, a code and a message for them.
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

/// The caller behind a request's headers. Two `Authorization` headers are refused, not
/// resolved by picking one: a proxy that appends its own must not change who the caller is.
pub async fn authenticate_headers(state: &AppState, headers: &HeaderMap) -> Result<Caller, Refusal> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let authorization = values.next();
    if values.next().is_some() {
        return Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            code: "BAD_REQUEST",
            message: "ambiguous credentials: send exactly one Authorization header".into(),
        });
    }
    authenticate(state, authorization.and_then(|v| v.to_str().ok())).await
}

/// While the database is unreachable, a request is answered at once (503, with
/// `Retry-After`) instead of waiting for a connection that will not come.
pub fn refuse_while_unavailable(state: &AppState, media: Media) -> Option<Response> {
    if state.availability.is_up() {
        return None;
    }
    let mut refused = reply::error(StatusCode::SERVICE_UNAVAILABLE, media, UNAVAILABLE, UNAVAILABLE_MESSAGE);
    refused.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    Some(refused)
}

/// The caller behind an `Authorization` header value, and when their token expires.
pub async fn authenticate(state: &AppState, authorization: Option<&str>) -> Result<Caller, Refusal> {
    let unauthenticated =
        |message: String| Refusal { status: StatusCode::UNAUTHORIZED, code: "UNAUTHENTICATED", message };
    let verified = state.verifier.verify_header(authorization).await.map_err(|e| unauthenticated(e.to_string()))?;
    match state.identities.identify(&state.db, state.clock.as_ref(), &verified.identity).await {
        Ok(actor) => Ok(Caller { actor, expires_at: verified.expires_at }),
        Err(service::Error::Unauthenticated(message)) => Err(unauthenticated(message)),
        Err(error) if error.code() == UNAVAILABLE => {
            state.availability.suspect();
            Err(Refusal {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: UNAVAILABLE,
                message: UNAVAILABLE_MESSAGE.into(),
            })
        }
        Err(error) => {
            tracing::error!(error = ?error, "identifying the caller failed");
            Err(Refusal {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "INTERNAL",
                message: "internal error".into(),
            })
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: service::Actor,
    /// When the token stops being valid: long-lived streams end then.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    media: Media,
    request: async_graphql::Request,
    method: Method,
) -> Response {
    if let Some(refused) = refuse_while_unavailable(state, media) {
        return refused;
    }
    let actor = match authenticate_headers(state, headers).await {
        Ok(caller) => caller.actor,
        Err(refusal) => return reply::error(refusal.status, media, refusal.code, &refusal.message),
    };
    let quota = match rate::admit_subject(state, &actor, media) {
        Ok(quota) => quota,
        Err(refused) => return *refused,
    };
    let mut request = request;
    if let Err(refused) = crate::http::persisted::resolve(state, media, &mut request).await {
        return *refused;
    }
    let mut response = run(state, media, request, method, actor).await;
    response.headers_mut().extend(quota);
    response
}

/// Runs an authenticated caller's request within the document limits and the timeout.
async fn run(
    state: &AppState,
    media: Media,
    request: async_graphql::Request,
    method: Method,
    actor: service::Actor,
) -> Response {
    if let Err(error) = guard::check_size(&request.query, state.limits.max_query_bytes) {
        return reply::error(media.request_error_status(), media, "GRAPHQL_VALIDATION_FAILED", &error.message);
    }
    let mut request = request;
    let cached = state.documents.get(&request.query);
    let seen = cached.is_some();
    if let Some(document) = cached {
        request.set_parsed_query(document);
    }
    if let Some(response) = refuse_malformed(&mut request, media, &method) {
        return response;
    }
    if !seen {
        state.documents.remember(&mut request);
    }
    let operation = spans::Operation::of(&mut request);
    let span = spans::operation(&operation, &request.query);
    let started = std::time::Instant::now();
    let finished = |outcome: String| {
        spans::record_outcome(&span, &outcome);
        let name = crate::metrics::operation_label(operation.name.as_deref());
        crate::metrics::operation(operation.kind, name, outcome, started.elapsed());
    };
    let schema = match request.parsed_query().map(|document| state.schema.check(document)) {
        Ok(Ok(schema)) => schema,
        Ok(Err(refused)) | Err(refused) => {
            finished(GUARD_REFUSAL.into());
            return reply::error(media.request_error_status(), media, GUARD_REFUSAL, &refused.message);
        }
    };
    let loaders = Loaders::new(&state.db, &actor, &state.clock, &state.histories);
    let request = request.data(RequestData { actor, loaders });
    let running = schema.execute(request).instrument(span.clone());
    let response = match tokio::time::timeout(state.limits.request_timeout(), running).await {
        Ok(response) => {
            let outcome = spans::outcome(&response);
            if outcome == UNAVAILABLE {
                state.availability.suspect();
            }
            finished(outcome);
            response
        }
        Err(_) => {
            let message =
                format!("the request took longer than {} s and was stopped", state.limits.request_timeout_secs);
            return reply::error(StatusCode::SERVICE_UNAVAILABLE, media, "TIMEOUT", &message);
        }
    };
    let mut response = response;
    code_input_errors(&mut response);
    let request_error = response.data == Value::Null && response.errors.iter().all(|e| e.path.is_empty());
    let status = if request_error && !response.errors.is_empty() {
        for error in &mut response.errors {
            tag(error, "GRAPHQL_VALIDATION_FAILED");
        }
        media.request_error_status()
    } else {
        StatusCode::OK
    };
    match serde_json::to_vec(&response) {
        Ok(body) => reply::body(status, media, body),
        Err(error) => {
            tracing::error!(error = %error, "serializing a response failed");
            reply::error(StatusCode::INTERNAL_SERVER_ERROR, media, "INTERNAL", "internal error")
        }
    }
}

/// Parse failures and mutations over GET are refused before execution. The parsed
/// document stays in the request, so the query is parsed once.
fn refuse_malformed(request: &mut async_graphql::Request, media: Media, method: &Method) -> Option<Response> {
    let name = request.operation_name.clone();
    let document = match request.parsed_query() {
        Ok(document) => document,
        Err(error) => {
            return Some(reply::error(media.request_error_status(), media, "GRAPHQL_PARSE_FAILED", &error.message));
        }
    };
    if *method == Method::Get {
        let name = name.as_deref();
        let mutates = document.operations.iter().any(|(op_name, op)| {
            (name.is_none() || op_name.map(|n| n.as_str()) == name) && op.node.ty != OperationType::Query
        });
        if mutates {
            let mut response = reply::error(
                StatusCode::METHOD_NOT_ALLOWED,
                media,
                "BAD_REQUEST",
                "mutations and subscriptions need POST",
            );
            response.headers_mut().insert(header::ALLOW, axum::http::HeaderValue::from_static("GET, POST"));
            return Some(response);
        }
    }
    None
}

/// An argument or variable that does not fit its type (an `Int` out of range, a malformed
/// `Date`) surfaces from async-graphql as an execution error without a code. It is the
/// client's input that is wrong: BAD_USER_INPUT, and when nothing else ran, a request
/// error (no data, no path), as when the query itself does not validate.
pub fn code_input_errors(response: &mut async_graphql::Response) {
    let only_input = !response.errors.is_empty() && response.errors.iter().all(is_input_error);
    for error in response.errors.iter_mut().filter(|e| is_input_error(e)) {
        tag(error, "BAD_USER_INPUT");
        if only_input && response.data == Value::Null {
            error.path.clear();
        }
    }
}

/// async-graphql's words for a value that does not fit its input type.
fn is_input_error(error: &ServerError) -> bool {
    let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
    !has_code
        && (error.message.starts_with("Failed to parse ") || error.message.starts_with("Invalid value for argument"))
}

fn tag(error: &mut ServerError, code: &str) {
    let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
    if !has_code {
        let coded = async_graphql::Error::new(error.message.clone()).extend_with(|_, e| e.set("code", code));
        error.extensions = coded.extensions;
    }
}

/// A JSON array body: a batch of operations, which Trellis does not take.
fn is_batch(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[')
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(';').next()).is_some_and(|t| {
        let t = t.trim();
        t.eq_ignore_ascii_case("application/json") || t.eq_ignore_ascii_case(reply::GRAPHQL_RESPONSE_JSON)
    })
}

fn not_acceptable() -> Response {
    reply::error(
        StatusCode::NOT_ACCEPTABLE,
        Media::Json,
        "BAD_REQUEST",
        "accept application/graphql-response+json or application/json",
    )
}
