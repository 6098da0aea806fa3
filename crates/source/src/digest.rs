use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

/// Passes bytes through while hashing them, so a blob is verified in the same single read that
/// parses it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    /// Hashes everything read through it.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Reads whatever the consumer left unread, then returns `sha256:<hex>` and the byte count.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((
            format!("sha256:{}", hex::encode(self.hasher.finalize())),
            self.count,
        ))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// The SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// `sha256:` and the first 12 hex digits, for people (cut by characters: a digest read from
/// an image may be anything).
pub fn short(digest: &str) -> String {
    let hex = digest.trim_start_matches("sha256:");
    format!("sha256:{}", hex.chars().take(12).collect::<String>())
}

/// Splits `sha256:<hex>` into its parts; only sha256 and sha512 are accepted.
pub fn parse(digest: &str) -> Option<(&str, &str)> {
    let (algo, hex) = digest.split_once(':')?;
    let ok_len = match algo {
        "sha256" => 64,
        "sha512" => 128,
        _ => return None,
    };
    (hex.len() == ok_len
        && hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then_some((algo, hex))
}
