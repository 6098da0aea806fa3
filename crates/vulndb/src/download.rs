//! A conditional download: a body, or "not modified" when the validators of the previous
//! download (its ETag and Last-Modified) still hold. Shared by the OSV dump update and the
//! distribution archive indexes.

use std::io::Read;

use crate::Error;

/// The validators of a previous download of the same URL.
#[derive(Debug, Clone, Copy, Default)]
pub struct Validators<'a> {
    /// `ETag`, sent back as `If-None-Match`.
    pub etag: Option<&'a str>,
    /// `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<&'a str>,
}

/// Largest dump accepted (the biggest osv.dev dumps are a few hundred MB).
const MAX_DUMP: u64 = 2 << 30;

/// What a conditional download gave.
pub enum Fetched {
    /// The server said the copy we have is current (304).
    NotModified,
    /// A new body.
    Body {
        /// The body, at most the dump limit.
        bytes: Vec<u8>,
        /// Its `ETag`.
        etag: Option<String>,
        /// Its `Last-Modified`.
        last_modified: Option<String>,
    },
}

/// Fetches `url`, unless the validators say the copy in hand is current.
pub fn fetch(
    agent: &ureq::Agent,
    url: &str,
    previous: Validators<'_>,
    on_bytes: &dyn Fn(u64),
) -> Result<Fetched, Error> {
    let mut req = agent.get(url);
    if let Some(etag) = previous.etag {
        req = req.header("If-None-Match", etag);
    }
    if let Some(lm) = previous.last_modified {
        req = req.header("If-Modified-Since", lm);
    }
    let response = req.call().map_err(|e| Error::Download {
        url: url.to_string(),
        detail: e.to_string(),
    })?;
    let status = response.status().as_u16();
    if status == 304 {
        return Ok(Fetched::NotModified);
    }
    if status != 200 {
        return Err(Error::Download {
            url: url.to_string(),
            detail: format!("HTTP {status}"),
        });
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header("etag");
    let last_modified = header("last-modified");
    let mut body = response.into_body();
    let mut reader = body.with_config().limit(MAX_DUMP).reader();
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|e| Error::Download {
            url: url.to_string(),
            detail: e.to_string(),
        })?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
        on_bytes(n as u64);
    }
    Ok(Fetched::Body {
        bytes,
        etag,
        last_modified,
    })
}
