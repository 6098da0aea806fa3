//! Comparisons per second for each scheme, on realistic version pairs (parse both, compare).
//! Run with `cargo bench -p drydock-version`; criterion reports time per comparison, whose
//! inverse is the rate.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use drydock_version::Scheme;

fn pairs(scheme: Scheme) -> Vec<(&'static str, &'static str)> {
    match scheme {
        Scheme::Dpkg => vec![
            ("1:2.38.1-5+deb12u3", "1:2.38.1-5+deb12u2"),
            ("3.0.11-1~deb12u2", "3.0.15-1~deb12u1"),
            ("7.88.1-10+deb12u8", "7.88.1-10+deb12u12"),
            ("2.36-9+deb12u9", "2.36-9+deb12u10"),
        ],
        Scheme::Apk => vec![
            ("1.1.1d-r2", "1.1.1g-r0"),
            ("1.30.1-r3", "1.30.1-r5"),
            ("2.10.4-r2", "2.10.6-r0"),
            ("1.2.11-r1", "1.2.12-r0"),
        ],
        Scheme::Rpm => vec![
            ("1:1.1.1k-5.el8_5", "1:1.1.1k-12.el8_9"),
            ("2.28-225.el8", "2.28-236.el8_9.7"),
            ("7.61.1-22.el8_6.4", "7.61.1-34.el8"),
            ("3.6.8-47.el8", "3.6.8-56.el8_9.3"),
        ],
        Scheme::Pep440 => vec![
            ("2.25.1", "2.31.0"),
            ("1.26.4", "1.26.18"),
            ("2020.12.5", "2023.7.22"),
            ("23.0.1", "23.3"),
        ],
        Scheme::Semver => vec![
            ("4.17.15", "4.17.21"),
            ("1.2.0", "1.2.6"),
            ("0.19.12", "0.25.0"),
            ("1.0.0-rc.1", "1.0.0"),
        ],
        Scheme::Maven => vec![
            ("2.15.2", "2.15.3"),
            ("5.3.18", "5.3.20"),
            ("2.14.1", "2.17.1"),
            ("1.0-SNAPSHOT", "1.0"),
        ],
        Scheme::Gem => vec![
            ("6.1.4.1", "6.1.7.3"),
            ("1.13.10", "1.16.2"),
            ("2.2.3", "2.2.8"),
            ("1.0.0.pre", "1.0.0"),
        ],
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("compare");
    for scheme in Scheme::ALL {
        let pairs = pairs(scheme);
        group.throughput(Throughput::Elements(pairs.len() as u64));
        group.bench_function(scheme.name(), |b| {
            b.iter(|| {
                for (x, y) in &pairs {
                    std::hint::black_box(scheme.compare(x, y).unwrap());
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
