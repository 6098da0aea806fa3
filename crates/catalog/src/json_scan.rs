//! Reading large JSON manifests (lock files, Composer's installed.json) as they parse, field by
//! field: a tree of `serde_json::Value` costs ten to twenty times the text for small objects,
//! so a 16 MB lock file of tiny entries took hundreds of megabytes. Here every field the
//! readers do not use is skipped, and what they collect stops at a count.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A JSON value kept when it is a string or a bool; anything else is skipped, so no field can
/// cost more than its own text.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) enum Scalar {
    #[default]
    Other,
    Str(String),
    Bool(bool),
}

impl Scalar {
    pub(crate) fn into_string(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn is_true(&self) -> bool {
        *self == Scalar::Bool(true)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Any;
        impl<'de> Visitor<'de> for Any {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(b))
            }
            fn visit_str<E>(self, s: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(s.to_string()))
            }
            fn visit_string<E>(self, s: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(s))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_none<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(Any)
    }
}

/// The fields of one JSON object a reader asks for, by name, each as a [`Scalar`]; the others
/// skipped.
pub(crate) fn scalars<'de, A: MapAccess<'de>>(mut map: A, wanted: &[&str]) -> Result<Vec<Scalar>, A::Error> {
    let mut out = vec![Scalar::Other; wanted.len()];
    while let Some(key) = map.next_key::<String>()? {
        match wanted.iter().position(|w| *w == key) {
            Some(i) => out[i] = map.next_value()?,
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(out)
}

/// An object of the fields a reader asks for ([`scalars`]); anything else JSON allows there
/// reads as none of them.
pub(crate) struct Fields(pub(crate) &'static [&'static str]);

impl<'de> serde::de::DeserializeSeed<'de> for Fields {
    type Value = Vec<Scalar>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Scalar>, D::Error> {
        struct V(&'static [&'static str]);
        impl<'de> Visitor<'de> for V {
            type Value = Vec<Scalar>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<Scalar>, A::Error> {
                scalars(map, self.0)
            }
        }
        d.deserialize_map(V(self.0))
    }
}

/// A visitor of a JSON object, used as the seed that reads one: the visitors that collect as
/// they parse need no seed of their own.
pub(crate) struct Object<V>(pub(crate) V);

impl<'de, V: Visitor<'de>> serde::de::DeserializeSeed<'de> for Object<V> {
    type Value = V::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_map(self.0)
    }
}

/// A visitor of a JSON array, used as the seed that reads one.
pub(crate) struct Array<V>(pub(crate) V);

impl<'de, V: Visitor<'de>> serde::de::DeserializeSeed<'de> for Array<V> {
    type Value = V::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_seq(self.0)
    }
}
