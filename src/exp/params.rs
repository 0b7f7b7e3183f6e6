//! The experiments' parameters. Each experiment declares one typed struct: serde names
//! its fields, `Default` holds every default (the one place), doc comments document
//! them (read through `schemars`). This module turns `KEY=VALUE` strings (`--param`, a
//! project's parameters, a sweep's grid, a checkpoint's saved parameters) into that
//! struct and back, and describes the struct for `labbook exp NAME --help`, the check
//! of every project manifest against its experiment, and the README.
//!
//! Values are written as a user types them: numbers and words bare, `true`/`false`
//! (also `1`/`0`, `yes`/`no`) for switches, the empty string for "none" in an optional
//! field, commas between the items of a list. An unknown key is refused with an error
//! naming it and the valid ones; a bad value with one naming the key, the value and
//! what was expected.

use std::fmt::{self, Debug, Display};

use anyhow::bail;
use schemars::JsonSchema;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::Serialize;
use serde_json::Value;

/// What every experiment's parameter struct is.
pub trait Parameters:
    Serialize + DeserializeOwned + JsonSchema + Default + Clone + Debug + Send + 'static
{
    /// Check what the types alone do not (ranges, combinations of values). It may
    /// also normalise a value (raise a size to its smallest useful value).
    fn validate(&mut self) -> anyhow::Result<()> {
        Ok(())
    }

    /// Parse `KEY=VALUE` pairs over the defaults, then validate.
    fn from_pairs(pairs: &[String]) -> anyhow::Result<Self> {
        let mut p: Self = parse(pairs)?;
        p.validate()?;
        Ok(p)
    }

    /// Every parameter as `KEY=VALUE`, in declaration order; [`Parameters::from_pairs`]
    /// reads them back to an equal struct.
    fn to_pairs(&self) -> Vec<String> {
        to_pairs(self)
    }
}

/// `steps` is at least 1 (the check every training loop's parameters share).
pub fn positive_steps(steps: usize) -> anyhow::Result<()> {
    if steps == 0 {
        bail!("steps must be positive");
    }
    Ok(())
}

/// `lr` is a finite number above zero.
pub fn positive_lr(lr: f64) -> anyhow::Result<()> {
    if !(lr.is_finite() && lr > 0.0) {
        bail!("lr={lr}: expected a positive number");
    }
    Ok(())
}

/// What kind of value a parameter takes (from its type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Int,
    Float,
    Bool,
    String,
    /// One of these words.
    Choice(Vec<String>),
    /// Comma-separated items.
    List,
}

impl Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Int => f.write_str("int"),
            Kind::Float => f.write_str("float"),
            Kind::Bool => f.write_str("bool"),
            Kind::String => f.write_str("string"),
            Kind::Choice(_) => f.write_str("choice"),
            Kind::List => f.write_str("list"),
        }
    }
}

/// One parameter as its struct declares it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParamDoc {
    pub name: String,
    pub kind: Kind,
    /// May be left empty (the field is optional).
    pub optional: bool,
    /// The default, as `KEY=VALUE` writes it.
    pub default: String,
    /// The field's doc comment.
    pub help: String,
}

/// The parameters of `P`, in declaration order.
pub fn docs<P: Parameters>() -> Vec<ParamDoc> {
    let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
        s.inline_subschemas = true;
    });
    let schema = settings.into_generator().into_root_schema_for::<P>();
    let defaults = serde_json::to_value(P::default()).unwrap_or(Value::Null);
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let order = declared_order(&P::default());
    let mut out: Vec<ParamDoc> = props
        .iter()
        .map(|(name, s)| {
            let (kind, optional) = kind_of(s);
            ParamDoc {
                name: name.clone(),
                kind,
                optional,
                default: defaults.get(name).map(plain).unwrap_or_default(),
                help: s
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        })
        .collect();
    out.sort_by_key(|d| {
        order
            .iter()
            .position(|n| *n == d.name)
            .unwrap_or(usize::MAX)
    });
    out
}

/// The fields of a struct in declaration order (serde_json's `Value` sorts its keys,
/// but its writer emits a struct's fields as declared, so they are read back from the
/// text).
fn declared_order<P: Serialize>(p: &P) -> Vec<String> {
    struct Keys(Vec<String>);
    impl<'de> de::Deserialize<'de> for Keys {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Keys;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a struct")
                }
                fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(k) = map.next_key::<String>()? {
                        map.next_value::<de::IgnoredAny>()?;
                        keys.push(k);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(V)
        }
    }
    serde_json::to_string(p)
        .ok()
        .and_then(|t| serde_json::from_str::<Keys>(&t).ok())
        .map(|k| k.0)
        .unwrap_or_default()
}

/// The kind of a property's schema, and whether it may be null.
fn kind_of(s: &Value) -> (Kind, bool) {
    if let Some(choices) = s.get("enum").and_then(Value::as_array) {
        let words: Vec<String> = choices
            .iter()
            .filter_map(|c| c.as_str().map(str::to_string))
            .collect();
        let optional = choices.iter().any(Value::is_null);
        return (Kind::Choice(words), optional);
    }
    if let Some(variants) = s
        .get("anyOf")
        .or_else(|| s.get("oneOf"))
        .and_then(Value::as_array)
    {
        let optional = variants
            .iter()
            .any(|v| v.get("type").and_then(Value::as_str) == Some("null"));
        let mut words = Vec::new();
        for v in variants {
            if let Some(w) = v.get("const").and_then(Value::as_str) {
                words.push(w.to_string());
            } else if let Some(e) = v.get("enum").and_then(Value::as_array) {
                words.extend(e.iter().filter_map(|c| c.as_str().map(str::to_string)));
            }
        }
        if !words.is_empty() {
            return (Kind::Choice(words), optional);
        }
        if let Some(inner) = variants
            .iter()
            .find(|v| v.get("type").and_then(Value::as_str) != Some("null"))
        {
            return (kind_of(inner).0, optional);
        }
    }
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let optional = types.contains(&"null");
    let kind = match types.iter().find(|t| **t != "null") {
        Some(&"integer") => Kind::Int,
        Some(&"number") => Kind::Float,
        Some(&"boolean") => Kind::Bool,
        Some(&"array") => Kind::List,
        _ => Kind::String,
    };
    (kind, optional)
}

/// A serialized value as `KEY=VALUE` writes it: strings bare, null empty, lists
/// comma-separated.
pub fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(plain).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn to_pairs<P: Serialize>(p: &P) -> Vec<String> {
    let v = serde_json::to_value(p).unwrap_or(Value::Null);
    declared_order(p)
        .into_iter()
        .map(|k| format!("{k}={}", plain(&v[&k])))
        .collect()
}

/// Parse `KEY=VALUE` pairs into `P` over its defaults (a later pair for the same key
/// wins), without [`Parameters::validate`].
pub fn parse<P: Parameters>(pairs: &[String]) -> anyhow::Result<P> {
    let valid: Vec<String> = docs::<P>().into_iter().map(|d| d.name).collect();
    let mut kv: Vec<(&str, &str)> = Vec::with_capacity(pairs.len());
    for p in pairs {
        let Some((k, v)) = p.split_once('=') else {
            bail!("--param `{p}` is not KEY=VALUE");
        };
        let k = k.trim();
        if !valid.iter().any(|n| n == k) {
            bail!("unknown parameter `{k}` (parameters: {})", valid.join(", "));
        }
        kv.retain(|(seen, _)| *seen != k);
        kv.push((k, v));
    }
    P::deserialize(PairsDe { pairs: &kv }).map_err(|e| anyhow::anyhow!("{e}"))
}

/// A parse error: the message already names the key and the value.
#[derive(Debug)]
pub struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// The pairs as a map for a struct's derived `Deserialize`.
struct PairsDe<'a> {
    pairs: &'a [(&'a str, &'a str)],
}

impl<'de> de::Deserializer<'de> for PairsDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(PairsMap {
            pairs: self.pairs.iter(),
            value: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
        enum identifier ignored_any
    }
}

struct PairsMap<'a> {
    pairs: std::slice::Iter<'a, (&'a str, &'a str)>,
    value: Option<(&'a str, &'a str)>,
}

impl<'de> de::MapAccess<'de> for PairsMap<'de> {
    type Error = Error;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.pairs.next() {
            Some(&(k, v)) => {
                self.value = Some((k, v));
                seed.deserialize(de::value::BorrowedStrDeserializer::new(k))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, value) = self
            .value
            .take()
            .ok_or_else(|| Error("a value without its key".into()))?;
        seed.deserialize(ValueDe { key, value })
    }
}

/// One value, converted to whatever type its field asks for.
struct ValueDe<'a> {
    key: &'a str,
    value: &'a str,
}

impl ValueDe<'_> {
    fn bad(&self, expected: &str) -> Error {
        Error(format!("{}={}: expected {expected}", self.key, self.value))
    }

    fn number<T: std::str::FromStr>(&self, expected: &str) -> Result<T, Error> {
        self.value.trim().parse().map_err(|_| self.bad(expected))
    }

    fn float(&self) -> Result<f64, Error> {
        self.value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| self.bad("a number"))
    }
}

macro_rules! whole {
    ($($method:ident $visit:ident $t:ty),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit(self.number::<$t>(concat!("a whole number (", stringify!($t), ")"))?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.value)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value.trim() {
            "true" | "1" | "yes" => visitor.visit_bool(true),
            "false" | "0" | "no" => visitor.visit_bool(false),
            _ => Err(self.bad("true or false")),
        }
    }

    whole!(deserialize_i8 visit_i8 i8, deserialize_i16 visit_i16 i16, deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64, deserialize_u8 visit_u8 u8, deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32, deserialize_u64 visit_u64 u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f32(self.float()? as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_f64(self.float()?)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.value.is_empty() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let key = self.key;
        let items = self
            .value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(move |value| ValueDe { key, value });
        visitor.visit_seq(de::value::SeqDeserializer::new(items))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let word = self.value.trim();
        if !variants.contains(&word) {
            let expected = match variants {
                [] => "nothing".to_string(),
                [one] => one.to_string(),
                [init @ .., last] => format!("{} or {last}", init.join(", ")),
            };
            return Err(self.bad(&expected));
        }
        visitor.visit_enum(word.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct tuple tuple_struct map
        struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Error> for ValueDe<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    enum Shape {
        Round,
        Square,
    }

    /// Test parameters.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
    #[serde(default, deny_unknown_fields)]
    struct P {
        /// How many steps to take.
        steps: usize,
        /// Peak learning rate.
        lr: f64,
        shape: Shape,
        /// A file, or nothing.
        out: Option<std::path::PathBuf>,
        threshold: Option<f32>,
        verbose: bool,
        name: String,
        snrs: Vec<f64>,
    }

    impl Default for P {
        fn default() -> Self {
            P {
                steps: 10,
                lr: 1e-3,
                shape: Shape::Round,
                out: None,
                threshold: None,
                verbose: false,
                name: "x".into(),
                snrs: vec![20.0, 5.0],
            }
        }
    }

    impl Parameters for P {
        fn validate(&mut self) -> anyhow::Result<()> {
            if self.steps == 0 {
                bail!("steps must be positive");
            }
            Ok(())
        }
    }

    fn kv(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn pairs_parse_over_the_defaults_and_round_trip() {
        let p = P::from_pairs(&kv(&[
            "steps=5",
            "lr=0.5",
            "shape=square",
            "out=a=b",
            "threshold=0.25",
            "verbose=yes",
            "snrs=0, -5",
            "steps=7",
        ]))
        .unwrap();
        assert_eq!(p.steps, 7, "a later pair wins");
        assert_eq!((p.lr, p.shape.clone()), (0.5, Shape::Square));
        assert_eq!(p.out, Some("a=b".into()));
        assert_eq!((p.threshold, p.verbose), (Some(0.25), true));
        assert_eq!(p.snrs, vec![0.0, -5.0]);
        assert_eq!(p.name, "x");
        assert_eq!(P::from_pairs(&p.to_pairs()).unwrap(), p);
        let d = P::default();
        assert_eq!(P::from_pairs(&d.to_pairs()).unwrap(), d);
        assert_eq!(P::from_pairs(&kv(&["out="])).unwrap().out, None);
    }

    #[test]
    fn errors_name_the_key_the_value_and_the_valid_keys() {
        let e = |s: &[&str]| P::from_pairs(&kv(s)).unwrap_err().to_string();
        let unknown = e(&["stpes=3"]);
        assert!(
            unknown.contains("unknown parameter `stpes`")
                && unknown.contains("steps, lr, shape, out, threshold, verbose, name, snrs"),
            "{unknown}"
        );
        assert_eq!(e(&["steps=-1"]), "steps=-1: expected a whole number (u64)");
        assert_eq!(e(&["lr=inf"]), "lr=inf: expected a number");
        assert_eq!(
            e(&["verbose=maybe"]),
            "verbose=maybe: expected true or false"
        );
        assert_eq!(e(&["shape=oval"]), "shape=oval: expected round or square");
        assert_eq!(e(&["steps=0"]), "steps must be positive");
        assert!(e(&["steps"]).contains("`steps` is not KEY=VALUE"));
    }

    #[test]
    fn docs_come_from_the_struct() {
        let d = docs::<P>();
        let names: Vec<&str> = d.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "steps",
                "lr",
                "shape",
                "out",
                "threshold",
                "verbose",
                "name",
                "snrs"
            ]
        );
        assert_eq!(d[0].kind, Kind::Int);
        assert_eq!(d[0].default, "10");
        assert_eq!(d[0].help, "How many steps to take.");
        assert_eq!(d[1].kind, Kind::Float);
        assert_eq!(
            d[2].kind,
            Kind::Choice(vec!["round".into(), "square".into()])
        );
        assert!(d[3].optional && d[3].default.is_empty());
        assert_eq!((d[4].kind.clone(), d[4].optional), (Kind::Float, true));
        assert_eq!(d[5].kind, Kind::Bool);
        assert_eq!(
            (d[7].kind.clone(), d[7].default.as_str()),
            (Kind::List, "20.0,5.0")
        );
    }
}
