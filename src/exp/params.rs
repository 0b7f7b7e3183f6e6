//! `KEY=VALUE` parameters of the experiments (`--param`, a project's parameters, a
//! sweep's grid): splitting them, and typed values whose errors name the parameter.

use std::path::PathBuf;

use anyhow::{anyhow, Result};

/// One `KEY=VALUE` pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kv<'a> {
    pub key: &'a str,
    pub value: &'a str,
}

/// Split every parameter at its first `=`; one without is an error naming it.
pub fn pairs(params: &[String]) -> Result<Vec<Kv<'_>>> {
    params
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(key, value)| Kv { key, value })
                .ok_or_else(|| anyhow!("--param `{p}` is not K=V"))
        })
        .collect()
}

impl Kv<'_> {
    fn bad(&self, what: &str) -> anyhow::Error {
        anyhow!("{}={}: expected {what}", self.key, self.value)
    }

    /// A whole number (`usize`).
    pub fn usize(&self) -> Result<usize> {
        self.value.parse().map_err(|_| self.bad("a whole number"))
    }

    /// A whole number (`u64`, e.g. a seed).
    pub fn u64(&self) -> Result<u64> {
        self.value.parse().map_err(|_| self.bad("a whole number"))
    }

    /// A finite number.
    pub fn number(&self) -> Result<f64> {
        self.value
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| self.bad("a number"))
    }

    /// A finite number above zero (a learning rate, a scale).
    pub fn positive(&self) -> Result<f64> {
        self.value
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| self.bad("a positive number"))
    }

    /// A number from 0 to 1.
    pub fn fraction(&self) -> Result<f64> {
        self.value
            .parse::<f64>()
            .ok()
            .filter(|x| (0.0..=1.0).contains(x))
            .ok_or_else(|| self.bad("a number from 0 to 1"))
    }

    pub fn path(&self) -> PathBuf {
        PathBuf::from(self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_split_at_the_first_equals_sign_and_values_name_the_parameter() {
        let raw = vec!["steps=10".to_string(), "out=a=b".to_string()];
        let kv = pairs(&raw).unwrap();
        assert_eq!(
            kv[1],
            Kv {
                key: "out",
                value: "a=b"
            }
        );
        assert_eq!(kv[0].usize().unwrap(), 10);
        let e = pairs(&["steps".to_string()]).unwrap_err().to_string();
        assert!(e.contains("`steps` is not K=V"), "{e}");
        let bad = Kv {
            key: "lr",
            value: "-1",
        };
        assert_eq!(
            bad.positive().unwrap_err().to_string(),
            "lr=-1: expected a positive number"
        );
        assert!(bad.number().is_ok() && bad.usize().is_err() && bad.fraction().is_err());
        let inf = Kv {
            key: "x",
            value: "inf",
        };
        assert!(inf.number().is_err() && inf.positive().is_err());
        assert_eq!(
            Kv {
                key: "p",
                value: "0.25"
            }
            .fraction()
            .unwrap(),
            0.25
        );
    }
}
