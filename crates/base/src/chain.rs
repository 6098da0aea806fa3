//! Layer ChainIDs, as the OCI image spec defines them (`config.md`, "Layer ChainID"):
//! `ChainID(L₀) = DiffID(L₀)` and `ChainID(L₀|…|Lₙ) = Digest(ChainID(L₀|…|Lₙ₋₁) + " " + DiffID(Lₙ))`.
//! A ChainID names a layer *and everything under it*, so an image built `FROM` a base shares
//! the base's ChainIDs as a prefix of its own, whatever compression either was pushed with.

use sha2::{Digest, Sha256};

/// The ChainID of every prefix of `diff_ids` (`sha256:…` strings), in order.
pub fn chain_ids(diff_ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(diff_ids.len());
    for diff_id in diff_ids {
        let next = match out.last() {
            None => diff_id.clone(),
            Some(parent) => {
                let digest = Sha256::digest(format!("{parent} {diff_id}").as_bytes());
                format!("sha256:{}", hex::encode(digest))
            }
        };
        out.push(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn the_first_chain_id_is_the_first_diff_id() {
        assert_eq!(chain_ids(&[d('a')]), vec![d('a')]);
        assert!(chain_ids(&[]).is_empty());
    }

    #[test]
    fn each_chain_id_digests_the_parent_a_space_and_the_diff_id() {
        // Computed independently: printf 'sha256:aaa… sha256:bbb…' | sha256sum
        let ids = chain_ids(&[d('a'), d('b'), d('c')]);
        let expected1 = format!(
            "sha256:{}",
            hex::encode(Sha256::digest(format!("{} {}", d('a'), d('b'))))
        );
        assert_eq!(ids[1], expected1);
        let expected2 = format!(
            "sha256:{}",
            hex::encode(Sha256::digest(format!("{expected1} {}", d('c'))))
        );
        assert_eq!(ids[2], expected2);
        // A layer's ChainID depends on what is under it: the same diff_id on another parent differs.
        assert_ne!(chain_ids(&[d('b'), d('c')])[1], ids[2]);
    }

    #[test]
    fn a_known_vector() {
        // sha256("sha256:aaaa…a sha256:bbbb…b"), by coreutils sha256sum.
        assert_eq!(
            chain_ids(&[d('a'), d('b')])[1],
            "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c"
        );
    }
}
