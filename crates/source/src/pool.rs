//! What one scan may hold in memory, in one allowance: everything that grows with the input
//! draws from it, so no mix of inputs can add bounds up past it.

use std::sync::atomic::{AtomicU64, Ordering};

/// The bytes one scan may hold: the files it reads, the entries it records, the fingerprints
/// of those it does not, and (in the catalog) the packages it lists. Shared by the layers read
/// in parallel.
///
/// Draws are of two kinds. What the scan cannot do without (a recorded entry: the merge needs
/// it to be right) may use the pool to its end; past that the read is an error. What can be
/// left out with a warning (a file to read, a language package) stops a quarter short of the
/// end, so that files read early cannot starve the entries every later layer must record.
#[derive(Debug)]
pub struct Pool {
    size: u64,
    left: AtomicU64,
}

impl Pool {
    /// A pool of `size` bytes.
    pub fn new(size: u64) -> Self {
        Pool {
            size,
            left: AtomicU64::new(size),
        }
    }

    /// Its size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// What is left.
    pub fn left(&self) -> u64 {
        self.left.load(Ordering::Relaxed)
    }

    /// Takes `n` bytes for something the scan cannot do without, or says the pool is spent.
    pub fn take(&self, n: u64) -> bool {
        self.take_leaving(n, 0)
    }

    /// Takes `n` bytes for something that can be left out, keeping a quarter of the pool for
    /// what cannot.
    pub fn take_optional(&self, n: u64) -> bool {
        self.take_leaving(n, self.size / 4)
    }

    /// Gives back what a draw took.
    pub fn give(&self, n: u64) {
        self.left.fetch_add(n, Ordering::Relaxed);
    }

    fn take_leaving(&self, n: u64, reserve: u64) -> bool {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(n).filter(|rest| *rest >= reserve)
            })
            .is_ok()
    }
}

/// What a recorded entry costs, about: its path and link target, and the map and list slots
/// around them. Measured on images of 99,000 symlinks and of 99,000 manifests.
pub(crate) fn record_cost(path: &str, target: &str) -> u64 {
    192 + path.len() as u64 + target.len() as u64
}

/// What a file read costs besides its bytes: its path again, and its slots in the layer's list
/// and in the merged view's revisions.
pub(crate) fn file_cost(path: &str, size: u64) -> u64 {
    size + 128 + path.len() as u64
}

/// What an entry known only by its fingerprint costs.
pub(crate) const FINGERPRINT_COST: u64 = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_draws_leave_a_quarter_for_the_rest() {
        let pool = Pool::new(400);
        assert!(pool.take_optional(250));
        assert!(!pool.take_optional(51), "would leave 99 of the 100 reserved");
        assert!(pool.take_optional(50));
        assert_eq!(pool.left(), 100);
        assert!(pool.take(100));
        assert!(!pool.take(1));
        assert_eq!(pool.left(), 0);
    }
}
