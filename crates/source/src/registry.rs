//! Pulling from registries with the OCI distribution API: references (`docker://HOST/REPO:TAG`,
//! `@sha256:…`, bare `repo:tag` with Docker Hub's defaults), manifests and indexes, and blobs
//! streamed straight into the layer pipeline. Authentication: anonymous, Basic, and Bearer
//! tokens from the `WWW-Authenticate` challenge, with credentials from the command line or
//! `~/.docker/config.json` (`auths`, `credsStore`, `credHelpers`). Credentials never appear in
//! errors. TLS is verified; plain HTTP only with `insecure`.
//!
//! Written on `ureq` (the HTTP client drydock already uses for database updates) rather than
//! `oci-client`, which brings a second HTTP stack and an async runtime into a synchronous pipeline.

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;

use crate::error::{Error, Result};
use crate::store::{BlobReader, Store};

/// The manifest and index media types drydock asks for.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// A registry reference: `registry/repository[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `registry-1.docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// `library/debian`.
    pub repository: String,
    /// The tag, when given.
    pub tag: Option<String>,
    /// The digest, when given.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `[HOST[:PORT]/]NAME[:TAG][@DIGEST]` with Docker's defaults: `docker.io`,
    /// `library/` for single-component names, and `latest`.
    pub fn parse(input: &str) -> Result<Reference> {
        let bad = |why: &str| Error::Usage(format!("invalid image reference {input:?}: {why}"));
        let s = input.trim();
        if s.is_empty() || s.contains(char::is_whitespace) {
            return Err(bad("empty or contains spaces"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                if crate::digest::parse(d).is_none() {
                    return Err(bad("digest must be sha256:<64 hex> or sha512:<128 hex>"));
                }
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        let (first, remainder) = match rest.split_once('/') {
            Some((f, r)) if f.contains('.') || f.contains(':') || f == "localhost" => (Some(f), r),
            _ => (None, rest),
        };
        let (name, tag) = match remainder.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, Some(t.to_string())),
            _ => (remainder, None),
        };
        if name.is_empty()
            || !name.split('/').all(|c| {
                !c.is_empty()
                    && c.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            })
        {
            return Err(bad(
                "repository names are lower-case letters, digits, '.', '_', '-' and '/'",
            ));
        }
        if let Some(t) = &tag
            && (t.is_empty()
                || t.len() > 128
                || !t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
        {
            return Err(bad("invalid tag"));
        }
        let (registry, repository) = match first {
            None | Some("docker.io") | Some("index.docker.io") => (
                "registry-1.docker.io".to_string(),
                if name.contains('/') {
                    name.to_string()
                } else {
                    format!("library/{name}")
                },
            ),
            Some(host) => (host.to_string(), name.to_string()),
        };
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The tag or digest to ask the manifests endpoint for (the digest wins).
    pub fn target(&self) -> &str {
        self.digest.as_deref().or(self.tag.as_deref()).unwrap_or("latest")
    }

    /// Whether a bare string looks like a reference rather than a file name.
    pub fn looks_like(input: &str) -> bool {
        !input.starts_with(['/', '.', '~']) && Reference::parse(input).is_ok()
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// A user name and secret. `Debug` does not print the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password or token.
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, ***)", self.username)
    }
}

/// How registries are reached.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Allow plain HTTP and unverified TLS.
    pub insecure: bool,
    /// Credentials given on the command line (else `~/.docker/config.json`).
    pub credentials: Option<Credentials>,
    /// Deadline for connecting, for the first byte of an answer, and for a whole manifest or
    /// token; blobs get it plus the time their declared size takes at [`SLOWEST_BLOB_RATE`].
    pub timeout: Duration,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            insecure: false,
            credentials: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// What `--timeout` defaults to.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The slowest transfer a blob may take (bytes per second) before it is abandoned: a registry
/// that trickles data cannot hold a CI job for ever.
pub const SLOWEST_BLOB_RATE: u64 = 32 << 10;

/// Credentials for a registry from `$DOCKER_CONFIG/config.json` (default `~/.docker`): a
/// credential helper for the host, the default store, or the `auths` entry.
pub fn docker_credentials(registry: &str) -> Option<Credentials> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".docker")))?;
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).ok()?).ok()?;
    let keys: Vec<String> = if registry == "registry-1.docker.io" {
        vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
            registry.into(),
        ]
    } else {
        vec![
            registry.to_string(),
            format!("https://{registry}"),
            format!("http://{registry}"),
        ]
    };
    let helper = keys
        .iter()
        .find_map(|k| {
            config
                .get("credHelpers")
                .and_then(|h| h.get(k))
                .and_then(|v| v.as_str())
        })
        .or_else(|| config.get("credsStore").and_then(|v| v.as_str()));
    if let Some(helper) = helper
        && let Some(c) = credential_helper(helper, &keys[0])
    {
        return Some(c);
    }
    let auths = config.get("auths")?;
    for k in &keys {
        let Some(entry) = auths.get(k) else { continue };
        if let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (u, p) = text.split_once(':')?;
            return Some(Credentials {
                username: u.to_string(),
                secret: p.to_string(),
            });
        }
        if let (Some(u), Some(p)) = (
            entry.get("username").and_then(|v| v.as_str()),
            entry.get("password").and_then(|v| v.as_str()),
        ) {
            return Some(Credentials {
                username: u.to_string(),
                secret: p.to_string(),
            });
        }
    }
    None
}

fn credential_helper(helper: &str, server: &str) -> Option<Credentials> {
    use std::io::Write;
    let mut child = std::process::Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(server.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    Some(Credentials {
        username: v.get("Username")?.as_str()?.to_string(),
        secret: v.get("Secret")?.as_str()?.to_string(),
    })
}

/// A connection to one repository of one registry, with its token.
pub struct Registry {
    agent: ureq::Agent,
    timeout: Duration,
    base: String,
    reference: Reference,
    credentials: Option<Credentials>,
    /// `Authorization` header value once a challenge has been answered.
    auth: Mutex<Option<String>>,
}

const RETRIES: u32 = 4;

fn parse_challenge(header: &str) -> (String, Vec<(String, String)>) {
    let (scheme, rest) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    let mut params = Vec::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        params.push((key, value.to_string()));
        rest = next.trim_start_matches([',', ' ']);
    }
    (scheme.to_ascii_lowercase(), params)
}

/// Percent-encodes everything but RFC 3986's unreserved characters (a query value, a scope).
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Registry {
    /// Connects to the repository `reference` names, authenticating as the registry asks.
    pub fn connect(reference: &Reference, options: &RegistryOptions) -> Result<Registry> {
        let local =
            reference.registry.starts_with("127.0.0.1") || reference.registry.starts_with("localhost");
        let tls = ureq::tls::TlsConfig::builder()
            .disable_verification(options.insecure)
            .build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls)
            .timeout_connect(Some(options.timeout))
            .timeout_recv_response(Some(options.timeout))
            .timeout_recv_body(Some(options.timeout))
            .build()
            .into();
        let credentials = options
            .credentials
            .clone()
            .or_else(|| docker_credentials(&reference.registry));
        let mut registry = Registry {
            agent,
            timeout: options.timeout,
            base: format!("https://{}", reference.registry),
            reference: reference.clone(),
            credentials,
            auth: Mutex::new(None),
        };
        // An insecure registry may speak plain HTTP: probe /v2/ over HTTPS, fall back to HTTP.
        if options.insecure {
            let https_ok = registry
                .agent
                .get(format!("{}/v2/", registry.base))
                .call()
                .is_ok();
            if !https_ok {
                registry.base = format!("http://{}", reference.registry);
            }
        } else {
            match registry.agent.get(format!("{}/v2/", registry.base)).call() {
                Ok(_) => {}
                Err(e) => {
                    let hint = if local {
                        " (a plain-HTTP registry needs --insecure)"
                    } else {
                        ""
                    };
                    return Err(Error::Registry(format!(
                        "{}: cannot connect over HTTPS: {e}{hint}",
                        reference.registry
                    )));
                }
            }
        }
        Ok(registry)
    }

    /// The reference it was connected for.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    fn fail(&self, what: &str, detail: impl std::fmt::Display) -> Error {
        Error::Registry(format!(
            "{}/{}: {what}: {detail}",
            self.reference.registry, self.reference.repository
        ))
    }

    /// Answers a `WWW-Authenticate` challenge: Basic with the credentials, or a Bearer token
    /// from the realm, scoped to pulling this repository.
    fn authenticate(&self, challenge: &str) -> Result<()> {
        let (scheme, params) = parse_challenge(challenge);
        let param = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        let basic = self.credentials.as_ref().map(|c| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.username, c.secret))
            )
        });
        let header = match scheme.as_str() {
            "basic" => basic.ok_or_else(|| {
                self.fail(
                    "authentication required",
                    "no credentials (docker login, or --username with --password-stdin)",
                )
            })?,
            "bearer" => {
                let realm = param("realm")
                    .ok_or_else(|| self.fail("authentication", "Bearer challenge without realm"))?;
                let scope = param("scope")
                    .unwrap_or_else(|| format!("repository:{}:pull", self.reference.repository));
                let mut url = format!("{realm}?scope={}", url_encode(&scope));
                if let Some(service) = param("service") {
                    url.push_str(&format!("&service={}", url_encode(&service)));
                }
                let mut req = self.agent.get(&url);
                if let Some(b) = &basic {
                    req = req.header("Authorization", b);
                }
                let resp = req.call().map_err(|e| self.fail("token request", e))?;
                match resp.status().as_u16() {
                    200 => {}
                    401 | 403 => {
                        return Err(self.fail(
                            "authentication failed",
                            "the token service refused the credentials",
                        ));
                    }
                    s => return Err(self.fail("token request", format!("HTTP {s}"))),
                }
                let text = resp
                    .into_body()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_string()
                    .map_err(|e| self.fail("token response", e))?;
                let body: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| self.fail("token response", e))?;
                let token = body
                    .get("token")
                    .or_else(|| body.get("access_token"))
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| self.fail("token response", "no token"))?;
                format!("Bearer {token}")
            }
            other => return Err(self.fail("authentication", format!("unsupported scheme {other}"))),
        };
        *self.auth.lock().unwrap_or_else(|e| e.into_inner()) = Some(header);
        Ok(())
    }

    /// GET with authentication, retries on 5xx and connection errors, and `Retry-After` on 429.
    fn get(&self, path: &str, accept: Option<&str>, what: &str) -> Result<ureq::http::Response<ureq::Body>> {
        self.get_within(path, accept, what, None)
    }

    /// [`Registry::get`] with its own deadline for the body (blobs: by their size).
    fn get_within(
        &self,
        path: &str,
        accept: Option<&str>,
        what: &str,
        body_deadline: Option<Duration>,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        self.request(path, accept, what, body_deadline, None)
    }

    /// The one GET loop; with `if_none_match`, a `304 Not Modified` is an answer too.
    fn request(
        &self,
        path: &str,
        accept: Option<&str>,
        what: &str,
        body_deadline: Option<Duration>,
        if_none_match: Option<&str>,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let url = format!("{}{path}", self.base);
        let mut answered = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = match body_deadline {
                Some(d) => self.agent.get(&url).config().timeout_recv_body(Some(d)).build(),
                None => self.agent.get(&url),
            };
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(h) = self.auth.lock().unwrap_or_else(|e| e.into_inner()).clone() {
                req = req.header("Authorization", h);
            }
            if let Some(etag) = if_none_match {
                req = req.header("If-None-Match", format!("\"{etag}\""));
            }
            let resp = match req.call() {
                Ok(r) => r,
                Err(e) if attempt < RETRIES => {
                    std::thread::sleep(Duration::from_millis(200 << attempt));
                    let _ = e;
                    continue;
                }
                Err(e) => return Err(self.fail(what, e)),
            };
            let status = resp.status().as_u16();
            match status {
                200..=299 => return Ok(resp),
                304 if if_none_match.is_some() => return Ok(resp),
                401 if !answered => {
                    let challenge = resp
                        .headers()
                        .get("www-authenticate")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                        .ok_or_else(|| self.fail(what, "HTTP 401 without an authentication challenge"))?;
                    self.authenticate(&challenge)?;
                    answered = true;
                }
                401 => return Err(self.fail(what, "authentication failed (HTTP 401): check the credentials")),
                403 => return Err(self.fail(what, "access denied (HTTP 403)")),
                404 => {
                    let body = resp
                        .into_body()
                        .with_config()
                        .limit(64 << 10)
                        .read_to_string()
                        .unwrap_or_default();
                    let code = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["errors"][0]["code"].as_str().map(str::to_string))
                        .unwrap_or_default();
                    // Some registries answer MANIFEST_UNKNOWN for a missing repository: ask its tags.
                    let missing_repo = code == "NAME_UNKNOWN"
                        || (code == "MANIFEST_UNKNOWN"
                            && what == "manifest"
                            && self
                                .agent
                                .get(format!(
                                    "{}/v2/{}/tags/list",
                                    self.base, self.reference.repository
                                ))
                                .header(
                                    "Authorization",
                                    self.auth
                                        .lock()
                                        .unwrap_or_else(|e| e.into_inner())
                                        .clone()
                                        .unwrap_or_default(),
                                )
                                .call()
                                .is_ok_and(|r| r.status().as_u16() == 404));
                    let detail = match code.as_str() {
                        _ if missing_repo => "repository not found".to_string(),
                        "MANIFEST_UNKNOWN" if self.reference.digest.is_some() => {
                            "digest not found".to_string()
                        }
                        "MANIFEST_UNKNOWN" => {
                            format!("tag {:?} not found", self.reference.tag.as_deref().unwrap_or(""))
                        }
                        "BLOB_UNKNOWN" => "blob not found".to_string(),
                        _ => "not found (HTTP 404)".to_string(),
                    };
                    return Err(self.fail(what, detail));
                }
                429 | 500..=599 if attempt < RETRIES => {
                    let wait = resp
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| Duration::from_secs(s.min(30)))
                        .unwrap_or(Duration::from_millis(200 << attempt));
                    std::thread::sleep(wait);
                }
                s => return Err(self.fail(what, format!("HTTP {s}"))),
            }
        }
    }

    /// A manifest or index by tag or digest: its bytes and media type.
    pub fn manifest(&self, target: &str) -> Result<(Vec<u8>, String)> {
        Ok(self
            .manifest_unless(target, None)?
            .expect("an unconditional request always has a body"))
    }

    /// The tag's manifest unless it still has the digest `known` (`None` then: the registry
    /// answered `304 Not Modified` to `If-None-Match`, or named the same digest).
    pub fn manifest_if_changed(&self, target: &str, known: &str) -> Result<Option<(Vec<u8>, String)>> {
        let got = self.manifest_unless(target, Some(known))?;
        Ok(got.filter(|(bytes, _)| crate::digest::sha256_hex(bytes) != known))
    }

    /// Every tag of the repository, following `Link` pagination (bounded: 100,000 tags).
    pub fn tags(&self) -> Result<Vec<String>> {
        let mut tags = Vec::new();
        let mut path = format!("/v2/{}/tags/list?n=1000", self.reference.repository);
        for _ in 0..100 {
            let resp = self.get(&path, Some("application/json"), "tag list")?;
            let next = resp
                .headers()
                .get("link")
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            let text = resp
                .into_body()
                .with_config()
                .limit(MAX_MANIFEST)
                .read_to_string()
                .map_err(|e| self.fail("tag list", e))?;
            let page: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| self.fail("tag list", e))?;
            tags.extend(
                page["tags"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(str::to_string)),
            );
            match next {
                Some(n) => path = n,
                None => return Ok(tags),
            }
        }
        Err(self.fail("tag list", "more than 100 pages"))
    }

    fn manifest_unless(&self, target: &str, known: Option<&str>) -> Result<Option<(Vec<u8>, String)>> {
        let resp = self.request(
            &format!("/v2/{}/manifests/{target}", self.reference.repository),
            Some(MANIFEST_ACCEPT),
            "manifest",
            None,
            known,
        )?;
        if resp.status().as_u16() == 304 {
            return Ok(None);
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header("content-type")
            .map(|s| s.split(';').next().unwrap_or(&s).trim().to_string())
            .unwrap_or_default();
        let declared = header("docker-content-digest");
        let bytes = resp
            .into_body()
            .with_config()
            .limit(MAX_MANIFEST)
            .read_to_vec()
            .map_err(|e| self.fail("manifest", e))?;
        // A pull by tag has no digest of its own to check the body against: the registry's
        // `Docker-Content-Digest` is that digest (a pull by digest is checked by the caller).
        if let Some(declared) = declared
            && declared.starts_with("sha256:")
            && !target.starts_with("sha256:")
        {
            let actual = crate::digest::sha256_hex(&bytes);
            if actual != declared {
                return Err(Error::DigestMismatch {
                    what: format!("manifest of docker://{} (Docker-Content-Digest)", self.reference),
                    expected: declared,
                    actual,
                });
            }
        }
        let media_type = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("mediaType").and_then(|m| m.as_str()).map(str::to_string))
            .unwrap_or(content_type);
        Ok(Some((bytes, media_type)))
    }
}

/// The path of a `Link: </v2/…?last=x&n=1000>; rel="next"` header, when it names one on the
/// same registry (an absolute URL elsewhere is not followed).
fn next_link(header: &str) -> Option<String> {
    let (target, params) = header.split_once(';')?;
    if !params.contains("rel=\"next\"") && !params.contains("rel=next") {
        return None;
    }
    let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
    target.starts_with("/v2/").then(|| target.to_string())
}

/// The largest manifest or index accepted (real ones are a few KB; big indexes a few hundred).
const MAX_MANIFEST: u64 = 4 << 20;

impl Registry {
    /// Streams a blob; with its declared size, the transfer must end within the timeout plus
    /// the time that size takes at the slowest accepted rate.
    fn open_blob(&self, digest: &str, size: Option<u64>) -> Result<BlobReader<'_>> {
        let deadline = size.map(|s| self.timeout + Duration::from_secs(s / SLOWEST_BLOB_RATE));
        let resp = self.get_within(
            &format!("/v2/{}/blobs/{digest}", self.reference.repository),
            None,
            "blob",
            // Without a declared size (a config read through `open`), the usual body deadline.
            deadline.or(Some(self.timeout)),
        )?;
        let reader = resp.into_body().into_reader();
        Ok(Box::new(std::io::BufReader::with_capacity(256 << 10, reader)) as Box<dyn Read + Send>)
    }
}

impl Store for Registry {
    fn describe(&self) -> String {
        format!("docker://{}", self.reference)
    }

    fn exists(&self, _name: &str) -> bool {
        true
    }

    /// `blobs/<algo>/<hex>` as the layouts name them, fetched from the blobs endpoint and
    /// streamed (redirects to blob storage are followed).
    fn open(&self, name: &str) -> Result<BlobReader<'_>> {
        let digest = name
            .strip_prefix("blobs/")
            .and_then(|r| r.split_once('/'))
            .map(|(algo, hex)| format!("{algo}:{hex}"))
            .ok_or_else(|| self.fail("blob", format!("unexpected blob name {name}")))?;
        self.open_blob(&digest, None)
    }

    fn open_sized(&self, name: &str, size: u64) -> Result<BlobReader<'_>> {
        let digest = name
            .strip_prefix("blobs/")
            .and_then(|r| r.split_once('/'))
            .map(|(algo, hex)| format!("{algo}:{hex}"))
            .ok_or_else(|| self.fail("blob", format!("unexpected blob name {name}")))?;
        self.open_blob(&digest, Some(size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_list_pagination_follows_same_registry_links_only() {
        assert_eq!(
            next_link(r#"</v2/library/debian/tags/list?last=12&n=1000>; rel="next""#).as_deref(),
            Some("/v2/library/debian/tags/list?last=12&n=1000")
        );
        assert_eq!(
            next_link(r#"<https://elsewhere.example/v2/x/tags/list>; rel="next""#),
            None
        );
        assert_eq!(next_link(r#"</v2/x/tags/list?last=a>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
    }

    #[test]
    fn references_with_docker_defaults() {
        let r = Reference::parse("alpine").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("registry-1.docker.io", "library/alpine", Some("latest"))
        );
        let r = Reference::parse("docker.io/bitnami/redis:7.2").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.tag.as_deref()),
            ("bitnami/redis", Some("7.2"))
        );
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("127.0.0.1:5000/team/app@{d}")).unwrap();
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.tag.as_deref(),
                r.digest.as_deref()
            ),
            ("127.0.0.1:5000", "team/app", None, Some(d.as_str()))
        );
        assert_eq!(r.target(), d);
        let r = Reference::parse("localhost/app:v1").unwrap();
        assert_eq!(r.registry, "localhost");
        assert!(Reference::parse("UPPER/case").is_err());
        assert!(Reference::parse("app@sha256:short").is_err());
        assert!(!Reference::looks_like("/tmp/image.tar"));
        assert!(!Reference::looks_like("./image.tar"));
    }

    #[test]
    fn challenges() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
        );
        assert_eq!(scheme, "bearer");
        assert_eq!(p[0], ("realm".into(), "https://auth.example/token".into()));
        assert_eq!(p[2], ("scope".into(), "repository:a/b:pull".into()));
        let (scheme, p) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!((scheme.as_str(), p.len()), ("basic", 1));
    }

    #[test]
    fn secrets_are_not_printed() {
        let c = Credentials {
            username: "u".into(),
            secret: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
