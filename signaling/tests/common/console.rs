//! A browser's part, over raw HTTP: a cookie jar, forms with their CSRF
//! token, and the console's sign-in. The real-browser tests drive Chromium
//! (`tests/tests/desk_console.rs`); these check what a browser would not
//! let a test do (no token, a wrong type, an oversized form).

use std::collections::HashMap;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first form's CSRF token on the page.
    pub fn csrf(&self) -> String {
        value_after(&self.body, r#"name="csrf" value=""#).expect("a form with a CSRF token")
    }

    /// The text of the element with `id`, tags stripped.
    pub fn text_of(&self, id: &str) -> Option<String> {
        let start = self.body.find(&format!(r#"id="{id}""#))?;
        let open = start + self.body[start..].find('>')? + 1;
        let mut depth = 0;
        let mut out = String::new();
        let mut in_tag = false;
        for (i, c) in self.body[open..].char_indices() {
            match c {
                '<' => {
                    in_tag = true;
                    out.push(' ');
                    let rest = &self.body[open + i..];
                    if rest.starts_with("</") {
                        if depth == 0 {
                            break;
                        }
                        depth -= 1;
                    } else if !rest.starts_with("<input") && !rest.starts_with("<br") {
                        depth += 1;
                    }
                }
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        Some(out)
    }
}

fn value_after(body: &str, marker: &str) -> Option<String> {
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')?;
    Some(body[start..start + end].to_owned())
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A form body, urlencoded.
pub fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One visitor: their cookies, kept across requests.
pub struct Console {
    addr: SocketAddr,
    pub cookies: HashMap<String, String>,
}

impl Console {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            cookies: HashMap::new(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.send("GET", path, None, "").await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.send("POST", path, Some(&form(fields)), "").await
    }

    /// Any request, with `extra` header lines (each ending in `\r\n`).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
        extra: &str,
    ) -> Response {
        let cookie = if self.cookies.is_empty() {
            String::new()
        } else {
            let pairs: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!("Cookie: {}\r\n", pairs.join("; "))
        };
        let body = body.unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{cookie}{extra}\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw).await;
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.get(9..12))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        for (_, value) in headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        {
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, v)) = pair.split_once('=') {
                if v.is_empty() || value.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), v.to_owned());
                }
            }
        }
        Response {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    /// The password step of the sign-in; returns its response (303 to
    /// `/console` or to the code step, or the form again with an error).
    pub async fn sign_in(&mut self, user: &str, password: &str) -> Response {
        let page = self.get("/console/sign-in").await;
        let csrf = page.csrf();
        self.post(
            "/console/sign-in",
            &[("csrf", &csrf), ("user", user), ("password", password)],
        )
        .await
    }

    /// The code step.
    pub async fn send_code(&mut self, code: &str) -> Response {
        let page = self.get("/console/sign-in/code").await;
        let csrf = page.csrf();
        self.post("/console/sign-in/code", &[("csrf", &csrf), ("code", code)])
            .await
    }

    /// A form on `page` posted to `action` with its CSRF token and `fields`.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let csrf = self.get(page).await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }
}
