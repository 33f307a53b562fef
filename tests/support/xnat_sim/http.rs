//! Response and request helpers shared by the handlers: XNAT answers errors with plain-text
//! bodies (ref: xnat-container-service-api.md §0 "Error bodies are plain strings").

use super::SharedState;
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::FromRequestParts;
use axum::extract::rejection::ExtensionRejection;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// A handler's outcome: `Err` carries an error response, so `?` returns early.
pub type Reply = Result<Response, Response>;

pub type Query = axum::extract::Query<HashMap<String, String>>;

/// Who is calling: set by the authentication layer on every authenticated request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub username: String,
    /// The server session this request belongs to.
    pub session: String,
}

/// What an authenticated handler starts from: the shared state and who is calling. Extracted as
/// `State` then `Extension<Caller>` would be, with the same rejection.
pub struct Call {
    pub shared: SharedState,
    pub caller: Caller,
}

impl FromRequestParts<SharedState> for Call {
    type Rejection = ExtensionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &SharedState,
    ) -> Result<Call, ExtensionRejection> {
        let Extension(caller) = Extension::<Caller>::from_request_parts(parts, shared).await?;
        Ok(Call {
            shared: shared.clone(),
            caller,
        })
    }
}

pub fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain;charset=UTF-8")],
        body.into(),
    )
        .into_response()
}

pub fn json(status: StatusCode, value: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        value.to_string(),
    )
        .into_response()
}

pub fn ok_json(value: &Value) -> Reply {
    Ok(json(StatusCode::OK, value))
}

pub fn empty(status: StatusCode) -> Response {
    status.into_response()
}

pub fn ok_empty() -> Reply {
    Ok(empty(StatusCode::OK))
}

/// XAPI access-level failure: 403 with an empty body (ref: xnat-core-api.md §1.5).
pub fn forbidden() -> Response {
    empty(StatusCode::FORBIDDEN)
}

pub fn not_found_text(message: impl Into<String>) -> Response {
    text(StatusCode::NOT_FOUND, message)
}

pub async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "Not Found")
}

/// `Could not find entity with ID <id>` (404), the `NotFoundException` answer of CS and the
/// event service alike.
pub fn entity_not_found(id: impl std::fmt::Display) -> Response {
    not_found_text(format!("Could not find entity with ID {id}"))
}

/// Java dereferencing a null: 500 with the exception's name.
pub fn null_pointer() -> Response {
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "java.lang.NullPointerException",
    )
}

pub fn simulated_failure() -> Response {
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Simulated failure (xnat-sim fault injection)",
    )
}

/// Spring's answer to a body it cannot bind: 400 (ref: xnat-container-service-api.md §0).
pub fn unreadable(detail: impl std::fmt::Display) -> Response {
    text(
        StatusCode::BAD_REQUEST,
        format!("JSON parse error: {detail}"),
    )
}

/// A JSON body: 415 without a JSON content type (CommandRestApiTest), 400 when it does not bind.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, Response> {
    let value = json_value(headers, body)?;
    serde_json::from_value(value).map_err(unreadable)
}

pub fn json_value(headers: &HeaderMap, body: &Bytes) -> Result<Value, Response> {
    if !is_json(headers) {
        return Err(text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content type not supported; send application/json",
        ));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(unreadable("Required request body is missing"));
    }
    serde_json::from_slice(body).map_err(unreadable)
}

pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

/// Spring's boolean request-param conversion: true/false/on/off/yes/no/1/0; anything else → 400.
pub fn bool_param(
    query: &HashMap<String, String>,
    name: &str,
    default: bool,
) -> Result<bool, Response> {
    match query.get(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v.is_empty() => Ok(default),
        Some(v) => match v.as_str() {
            "true" | "on" | "yes" | "1" => Ok(true),
            "false" | "off" | "no" | "0" => Ok(false),
            _ => Err(text(
                StatusCode::BAD_REQUEST,
                format!(
                    "Failed to convert value of type 'java.lang.String' to required type 'boolean'; Invalid boolean value [{v}]"
                ),
            )),
        },
    }
}

/// A path id that must be a long; Spring answers a type mismatch with 400.
pub fn long_param(raw: &str) -> Result<i64, Response> {
    raw.parse::<i64>().map_err(|_| {
        text(
            StatusCode::BAD_REQUEST,
            format!("Failed to convert value of type 'java.lang.String' to required type 'long'; For input string: \"{raw}\""),
        )
    })
}

pub fn non_blank<'a>(query: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    query
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
}

/// Send the body of `response` in 16-byte chunks with `delay` between them.
pub async fn trickle(response: Response, delay: Duration) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return simulated_failure(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let chunks: Vec<Bytes> = bytes.chunks(16).map(Bytes::copy_from_slice).collect();
    let stream = futures_util::stream::unfold(chunks.into_iter(), move |mut it| async move {
        let next = it.next()?;
        tokio::time::sleep(delay).await;
        Some((Ok::<Bytes, std::io::Error>(next), it))
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// An object in XNAT's key order, nulls left out (its mapper is NON_NULL). A pair's value is a
/// `Value` or an `Option<Value>`; `None` is left out too.
pub fn ordered<V: Into<Option<Value>>>(pairs: Vec<(&str, V)>) -> Value {
    let mut map = serde_json::Map::new();
    for (k, v) in pairs {
        if let Some(v) = v.into()
            && !v.is_null()
        {
            map.insert(k.to_string(), v);
        }
    }
    Value::Object(map)
}

pub fn with_header(mut response: Response, name: header::HeaderName, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(name, v);
    }
    response
}

/// The `echo_bodies` fault: a request with a body is refused with 400 and Jackson's parse-error
/// text quoting the body, as Spring's `HttpMessageNotReadableException` message does (ref:
/// xnat-core-api.md §0: an unreadable body is 400 with a plain-text message; the quoted input is
/// Jackson's `JsonParseException` "at [Source: …]" location). A request without a body goes on.
pub async fn echo_body(req: axum::extract::Request) -> Result<axum::extract::Request, Response> {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return Err(simulated_failure());
    };
    if bytes.is_empty() {
        return Ok(axum::extract::Request::from_parts(parts, Body::from(bytes)));
    }
    let quoted = String::from_utf8_lossy(&bytes);
    Err(unreadable(format!(
        "Unexpected character ('<' (code 60)): was expecting double-quote to start field name; \
         nested exception is com.fasterxml.jackson.core.JsonParseException: at [Source: \
         (String)\"{quoted}\"; line: 1, column: 2]"
    )))
}
