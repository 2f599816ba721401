//! The client side of a running server's admin API, shared by `import --url` and
//! `export --url`: where the server is, the admin token, and what each refusal means.

use serde::de::DeserializeOwned;

use super::http::{self, HttpError, Method, Request};

/// Why a call to the admin API got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum AdminApiError {
    /// `--url` is not an `http://` URL.
    #[error(
        "--url {0:?} must start with http:// (for TLS, run the command on the server host against its local address)"
    )]
    NotHttp(String),
    /// `--url` names no host.
    #[error("--url {0:?} has no host")]
    NoHost(String),
    /// `--url` without an admin token.
    #[error("--url needs the server's admin token: pass --token or set CASEBOT_ADMIN_TOKEN")]
    MissingToken,
    /// The server could not be reached, or its answer was not HTTP.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The server answered 200 with a body that is not what the call returns.
    #[error("unexpected answer from the server: {0}")]
    BadAnswer(serde_json::Error),
    /// The server refused the admin token.
    #[error("the server refused the admin token (401)")]
    TokenRefused,
    /// The server runs without an admin token, so its admin API is off.
    #[error("the server's admin API is off: start it with CASEBOT_ADMIN_TOKEN set")]
    AdminOff,
    /// Any other refusal, with the server's `error` text (or its body).
    #[error("the server answered {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// What the server said.
        message: String,
    },
}

/// A running server's admin API, with the token to call it.
#[derive(Debug)]
pub struct AdminApi {
    authority: String,
    token: String,
}

impl AdminApi {
    /// The admin API at `url` (`http://host[:port]`, a path is ignored) with `token`.
    pub fn new(url: &str, token: Option<&str>) -> Result<Self, AdminApiError> {
        let authority = authority(url)?;
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(AdminApiError::MissingToken)?;
        Ok(AdminApi {
            authority,
            token: token.to_string(),
        })
    }

    /// `host:port` of the server.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// Sends `method path` (path and query, from `/api/…`) with `body` labelled
    /// `content_type`, and reads a `200` answer's JSON body as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<T, AdminApiError> {
        let request = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.authority))
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", content_type)
            .body(http::Body::from(body))
            .map_err(HttpError::from)?;
        let answer = http::send(request).await?;
        let said = || {
            serde_json::from_slice::<serde_json::Value>(&answer.body)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_string))
        };
        match answer.status.as_u16() {
            200 => serde_json::from_slice(&answer.body).map_err(AdminApiError::BadAnswer),
            401 => Err(AdminApiError::TokenRefused),
            // The admin API answers 404 with a JSON error while it is off; a bare 404 is a
            // server without this call.
            404 if said().is_some() => Err(AdminApiError::AdminOff),
            status => Err(AdminApiError::Refused {
                status,
                message: said().unwrap_or_else(|| {
                    let body = String::from_utf8_lossy(&answer.body);
                    if body.trim().is_empty() {
                        "(no message; is it an older casebot?)".to_string()
                    } else {
                        body.into_owned()
                    }
                }),
            }),
        }
    }
}

/// `host:port` of an `http://` URL, port 80 when it names none.
fn authority(url: &str) -> Result<String, AdminApiError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| AdminApiError::NotHttp(url.to_string()))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(AdminApiError::NoHost(url.to_string()));
    }
    if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        Ok(authority.to_string())
    } else {
        Ok(format!("{authority}:80"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_http_and_get_a_default_port() {
        assert_eq!(
            authority("http://127.0.0.1:8080/").unwrap(),
            "127.0.0.1:8080"
        );
        assert_eq!(
            authority("http://cases.internal").unwrap(),
            "cases.internal:80"
        );
        assert!(
            authority("https://x")
                .unwrap_err()
                .to_string()
                .contains("http://")
        );
        assert!(authority("127.0.0.1:8080").is_err());
        assert!(matches!(
            AdminApi::new("http://x:1", Some("")),
            Err(AdminApiError::MissingToken)
        ));
    }
}
