//! Tier 1: ordering laws on generated versions (total, antisymmetric, transitive) for every
//! scheme, and a handful of hand-checked cases per scheme.

use std::cmp::Ordering;

use drydock_version::Scheme;
use proptest::prelude::*;

fn strategy(scheme: Scheme) -> BoxedStrategy<String> {
    let pattern = match scheme {
        Scheme::Dpkg => "([0-9]:)?[0-9]{1,3}(\\.[0-9a-z~+]{1,3}){0,3}(-[0-9a-z.+~]{1,4})?",
        Scheme::Apk => {
            "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}[a-c]?(_(alpha|beta|pre|rc|p|git)[0-9]{0,2}){0,2}(-r[0-9]{1,2})?"
        }
        Scheme::Rpm => "([0-9]:)?[0-9]{1,3}(\\.[0-9a-z~^]{1,3}){0,3}(-[0-9a-z.~^]{1,4})?",
        Scheme::Pep440 => {
            "([0-9]!)?[0-9]{1,2}(\\.[0-9]{1,2}){0,3}((a|b|rc)[0-9])?(\\.post[0-9])?(\\.dev[0-9])?(\\+[a-z0-9]{1,3})?"
        }
        Scheme::Semver => {
            // Numeric identifiers have no leading zeros in semver.
            "(0|[1-9][0-9]?)\\.(0|[1-9][0-9]?)\\.(0|[1-9][0-9]?)(-(alpha|beta|rc|0|[1-9][0-9]?)(\\.([a-z][0-9a-z]{0,2}|0|[1-9][0-9]?)){0,2})?"
        }
        Scheme::Maven => {
            "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}([.-](alpha|beta|rc|cr|snapshot|final|ga|sp|m|foo)[0-9]{0,2}){0,2}(-[0-9]{1,2})?"
        }
        Scheme::Gem => "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(\\.(pre|rc|a|beta)[0-9]{0,2})?",
    };
    proptest::string::string_regex(pattern).unwrap().boxed()
}

/// The same version with its leading number (after any epoch) one higher: it must sort after.
/// A comparator that answers "equal" to everything fails on this.
fn bump(scheme: Scheme, v: &str) -> String {
    let start = match scheme {
        Scheme::Dpkg | Scheme::Rpm => v.find(':').map_or(0, |i| i + 1),
        Scheme::Pep440 => v.find('!').map_or(0, |i| i + 1),
        _ => 0,
    };
    let digits = v[start..].bytes().take_while(u8::is_ascii_digit).count();
    let n: u64 = v[start..start + digits].parse().unwrap();
    format!("{}{}{}", &v[..start], n + 1, &v[start + digits..])
}

fn laws(scheme: Scheme, a: &str, b: &str, c: &str) -> Result<(), TestCaseError> {
    // The generators produce valid versions only: every one must parse, or the laws below
    // would be checked on nothing.
    let parse = |v: &str| {
        scheme
            .parse(v)
            .map_err(|e| TestCaseError::fail(format!("{scheme} {v}: {e:?}")))
    };
    let (va, vb, vc) = (parse(a)?, parse(b)?, parse(c)?);
    let higher = bump(scheme, a);
    prop_assert_eq!(
        va.cmp_same(&parse(&higher)?),
        Ordering::Less,
        "{} leading number: {} < {}",
        scheme,
        a,
        higher
    );
    prop_assert_eq!(va.cmp_same(&va), Ordering::Equal, "{} reflexive: {}", scheme, a);
    prop_assert_eq!(
        va.cmp_same(&vb),
        vb.cmp_same(&va).reverse(),
        "{} antisymmetric: {} {}",
        scheme,
        a,
        b
    );
    let ab = va.cmp_same(&vb);
    let bc = vb.cmp_same(&vc);
    if ab != Ordering::Greater && bc != Ordering::Greater {
        prop_assert_ne!(
            va.cmp_same(&vc),
            Ordering::Greater,
            "{} transitive: {} <= {} <= {}",
            scheme,
            a,
            b,
            c
        );
    }
    if ab == Ordering::Equal && bc == Ordering::Equal {
        prop_assert_eq!(va.cmp_same(&vc), Ordering::Equal);
    }
    Ok(())
}

macro_rules! law_test {
    ($name:ident, $scheme:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn $name(a in strategy($scheme), b in strategy($scheme), c in strategy($scheme)) {
                laws($scheme, &a, &b, &c)?;
            }
        }
    };
}

law_test!(dpkg_is_a_total_order, Scheme::Dpkg);
law_test!(apk_is_a_total_order, Scheme::Apk);
law_test!(rpm_is_a_total_order, Scheme::Rpm);
law_test!(pep440_is_a_total_order, Scheme::Pep440);
law_test!(semver_is_a_total_order, Scheme::Semver);
law_test!(maven_is_a_total_order, Scheme::Maven);
law_test!(gem_is_a_total_order, Scheme::Gem);

#[test]
fn hand_checked_cases() {
    use Ordering::*;
    let cases = [
        (Scheme::Dpkg, "1.0~rc1", "1.0", Less),
        (Scheme::Dpkg, "1:0.9", "2.0", Greater),
        (Scheme::Dpkg, "1.0-1", "1.0-1+deb12u1", Less),
        (Scheme::Dpkg, "1.0a", "1.0+", Less),
        (Scheme::Apk, "1.0_rc1", "1.0", Less),
        (Scheme::Apk, "1.0_p1", "1.0", Greater),
        (Scheme::Apk, "1.0-r1", "1.0-r10", Less),
        (Scheme::Apk, "1.0a", "1.0", Greater),
        (Scheme::Rpm, "1.0~rc1-1", "1.0-1", Less),
        (Scheme::Rpm, "1.0^post1", "1.0", Greater),
        (Scheme::Rpm, "0:1.0-1", "1.0-1", Equal),
        (Scheme::Rpm, "1:1.0-1", "2.0-1", Greater),
        (Scheme::Pep440, "1.0.dev1", "1.0a1", Less),
        (Scheme::Pep440, "1!0.1", "2.0", Greater),
        (Scheme::Pep440, "1.0+local", "1.0", Greater),
        (Scheme::Semver, "1.0.0-alpha", "1.0.0", Less),
        (Scheme::Semver, "v1.2.3+incompatible", "1.2.3", Equal),
        (
            Scheme::Semver,
            "v0.0.0-20210101000000-abcdef123456",
            "0.0.1",
            Less,
        ),
        (Scheme::Maven, "1.0-alpha-1", "1.0", Less),
        (Scheme::Maven, "1.0-sp1", "1.0", Greater),
        (Scheme::Maven, "1.0.RELEASE", "1.0", Equal),
        (Scheme::Maven, "1.0-cr1", "1.0-rc1", Equal),
        (Scheme::Gem, "1.0.0.pre", "1.0.0", Less),
        (Scheme::Gem, "1.0", "1.0.0", Equal),
        (Scheme::Gem, "1.0-beta", "1.0.a", Greater),
    ];
    for (scheme, a, b, want) in cases {
        assert_eq!(scheme.compare(a, b).unwrap(), want, "{scheme}: {a} vs {b}");
        assert_eq!(
            scheme.compare(b, a).unwrap(),
            want.reverse(),
            "{scheme}: {b} vs {a}"
        );
    }
}

#[test]
fn invalid_versions_are_errors_not_equal() {
    for (scheme, bad) in [
        (Scheme::Dpkg, ""),
        (Scheme::Dpkg, "  "),
        (Scheme::Apk, "abc"),
        (Scheme::Rpm, "x:1.0"),
        (Scheme::Pep440, "1.0.0-.x!"),
        (Scheme::Semver, "one.two"),
        (Scheme::Maven, ""),
        (Scheme::Gem, "1..0"),
    ] {
        let err = scheme.compare(bad, "1.0").unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("invalid {scheme} version")),
            "{err}"
        );
    }
}

/// RubyGems' version pattern, `\A[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?\z`:
/// what it refuses at each part, and a pre-release with a hyphen inside, which it accepts.
#[test]
fn gem_versions_follow_rubygems_pattern() {
    for bad in [".1", "a.1", "1.0-", "1.0-a..b", "1.0-a_b"] {
        assert!(Scheme::Gem.parse(bad).is_err(), "{bad} must be refused");
    }
    for good in ["1.0-a-b", "1.0-rc.1", "1.a", "0"] {
        assert!(Scheme::Gem.parse(good).is_ok(), "{good} must be accepted");
    }
    let (a, b) = (
        drydock_version::gem::GemVersion::parse("1.0.a").unwrap(),
        drydock_version::gem::GemVersion::parse("1.0").unwrap(),
    );
    assert_eq!(a.partial_cmp(&b), Some(Ordering::Less));
}

/// Versions of different schemes never compare equal, and the order between schemes is
/// consistent both ways: a total order, even though no caller should mix schemes.
#[test]
fn schemes_never_mix_into_equal() {
    let versions: Vec<drydock_version::Version> =
        Scheme::ALL.iter().map(|s| s.parse("1.0").unwrap()).collect();
    for (i, a) in versions.iter().enumerate() {
        for (j, b) in versions.iter().enumerate() {
            let ab = a.cmp_same(b);
            assert_eq!(ab == Ordering::Equal, i == j, "{a:?} vs {b:?}");
            assert_eq!(ab, b.cmp_same(a).reverse());
        }
    }
}

/// `partial_cmp` agrees with `cmp` for every scheme's own type (a `None` would make `<` false
/// both ways).
#[test]
fn partial_order_is_the_total_order() {
    use drydock_version::{pep440::Pep440Version, rpm::Nevra, rpm::RpmVersion, semver::SemVersion};
    let less = Some(Ordering::Less);
    assert_eq!(
        Pep440Version::parse("1.0")
            .unwrap()
            .partial_cmp(&Pep440Version::parse("1.1").unwrap()),
        less
    );
    assert_eq!(
        RpmVersion::parse("1.0-1")
            .unwrap()
            .partial_cmp(&RpmVersion::parse("1.0-2").unwrap()),
        less
    );
    assert_eq!(
        Nevra::parse("bash-5.1-1.el9.x86_64")
            .unwrap()
            .partial_cmp(&Nevra::parse("bash-5.2-1.el9.x86_64").unwrap()),
        less
    );
    assert_eq!(
        SemVersion::parse("1.0.0")
            .unwrap()
            .partial_cmp(&SemVersion::parse("1.0.1").unwrap()),
        less
    );
}

/// Lenient semver reading: a `v` or `=`, missing minor and patch; nothing else is guessed.
#[test]
fn semver_leniency_is_bounded() {
    use drydock_version::semver::SemVersion;
    let text = |s: &str| SemVersion::parse(s).map(|v| v.0.to_string());
    assert_eq!(text("1").unwrap(), "1.0.0");
    assert_eq!(text("v1.2").unwrap(), "1.2.0");
    assert_eq!(text("=1.2-rc.1").unwrap(), "1.2.0-rc.1");
    assert_eq!(text("1.2+build").unwrap(), "1.2.0+build");
    for bad in ["", "v", "-alpha", "1.x", ".1", "1.", "x", "1..2", "1.2.3.4"] {
        assert!(text(bad).is_err(), "{bad:?} must be refused");
    }
}

/// PEP 503 names: case and runs of `-`, `_`, `.` do not matter.
#[test]
fn pep503_names() {
    use drydock_version::pep440::normalize_name;
    assert_eq!(normalize_name("Zope.Interface"), "zope-interface");
    assert_eq!(normalize_name("a__b-.-c"), "a-b-c");
    assert_eq!(normalize_name("requests"), "requests");
}
