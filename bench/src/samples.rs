//! The inputs: the raw samples ci/bench.sh collects, the largest symbols of
//! the module, and the table of separately measured `.ci/run` times.

use std::collections::BTreeMap;

/// Every sample of a run: `SOURCE<TAB>KEY<TAB>VALUE` lines, where SOURCE is
/// the benchmark that printed it (or `host`), KEY names the quantity (its
/// unit is its suffix) and VALUE is a number; keys `meta.*` describe the
/// machine and the run, with text values.
#[derive(Debug, Default)]
pub struct Samples {
    /// In the order of the file, with their source.
    values: BTreeMap<String, Vec<(String, f64)>>,
    meta: BTreeMap<String, String>,
}

impl Samples {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut s = Self::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut fields = line.splitn(3, '\t');
            let (Some(source), Some(key), Some(value)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(format!(
                    "line {}: expected SOURCE<TAB>KEY<TAB>VALUE, got '{line}'",
                    i + 1
                ));
            };
            if let Some(name) = key.strip_prefix("meta.") {
                s.meta.insert(name.to_string(), value.to_string());
                continue;
            }
            let v: f64 = value
                .parse()
                .map_err(|_| format!("line {}: '{value}' (of {key}) is not a number", i + 1))?;
            if !v.is_finite() {
                return Err(format!(
                    "line {}: '{value}' (of {key}) is not finite",
                    i + 1
                ));
            }
            s.values
                .entry(key.to_string())
                .or_default()
                .push((source.to_string(), v));
        }
        Ok(s)
    }

    /// Every value of `key`, in the order measured.
    pub fn get(&self, key: &str) -> Vec<f64> {
        self.values
            .get(key)
            .map(|v| v.iter().map(|(_, x)| *x).collect())
            .unwrap_or_default()
    }

    /// The values of `key` that `source` printed.
    pub fn of_source(&self, key: &str, source: &str) -> Vec<f64> {
        self.values
            .get(key)
            .map(|v| {
                v.iter()
                    .filter(|(s, _)| s == source)
                    .map(|(_, x)| *x)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The sources that printed `key`, each once, in the order first seen.
    pub fn sources(&self, key: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (s, _) in self.values.get(key).into_iter().flatten() {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
        out
    }

    pub fn meta(&self, name: &str) -> Option<&str> {
        self.meta.get(name).map(String::as_str)
    }

    /// The `meta.count.*` entries: the counts set for the run.
    pub fn counts(&self) -> Vec<(&str, &str)> {
        self.meta
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("count.")?, v.as_str())))
            .collect()
    }
}

/// One separately measured wall time of `.ci/run`.
#[derive(Clone, Debug, PartialEq)]
pub struct CiTime {
    pub date: String,
    /// `cold` or `warm`.
    pub kind: String,
    pub seconds: f64,
    pub note: String,
}

/// `DATE<TAB>KIND<TAB>SECONDS<TAB>NOTE` lines; `#` starts a comment line.
pub fn parse_ci_times(text: &str) -> Result<Vec<CiTime>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.splitn(4, '\t').collect();
        if f.len() < 3 {
            return Err(format!(
                "line {}: expected DATE<TAB>KIND<TAB>SECONDS<TAB>NOTE, got '{line}'",
                i + 1
            ));
        }
        if f[1] != "cold" && f[1] != "warm" {
            return Err(format!(
                "line {}: kind '{}' is neither cold nor warm",
                i + 1,
                f[1]
            ));
        }
        let seconds: f64 = f[2]
            .parse()
            .map_err(|_| format!("line {}: '{}' is not a number of seconds", i + 1, f[2]))?;
        out.push(CiTime {
            date: f[0].to_string(),
            kind: f[1].to_string(),
            seconds,
            note: f.get(3).unwrap_or(&"").to_string(),
        });
    }
    Ok(out)
}

/// One of the module's largest functions and objects.
#[derive(Clone, Debug, PartialEq)]
pub struct Symbol {
    pub bytes: u64,
    /// `function` or `data`.
    pub kind: String,
    /// Demangled, without the hash.
    pub name: String,
}

/// `SIZE<TAB>KIND<TAB>NAME` lines (KIND: `function` or `data`), largest
/// first.
pub fn parse_symbols(text: &str) -> Result<Vec<Symbol>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.splitn(3, '\t').collect();
        if f.len() < 3 {
            return Err(format!(
                "line {}: expected SIZE<TAB>KIND<TAB>NAME, got '{line}'",
                i + 1
            ));
        }
        let bytes: u64 = f[0]
            .parse()
            .map_err(|_| format!("line {}: '{}' is not a size in bytes", i + 1, f[0]))?;
        if f[1] != "function" && f[1] != "data" {
            return Err(format!(
                "line {}: kind '{}' is neither function nor data",
                i + 1,
                f[1]
            ));
        }
        out.push(Symbol {
            bytes,
            kind: f[1].to_string(),
            name: f[2].to_string(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_by_key_and_source() {
        let s = Samples::parse(
            "host\tmeta.kernel\t7.2.13+deb14-amd64\n\
             vm-a\tboot_to_init_ms\t4000\n\
             vm-b\tboot_to_init_ms\t5000\n\
             vm-a\teffect_ns\t120000\n\
             \n\
             vm-a\teffect_ns\t130000.5\n\
             host\tmeta.count.BENCH_RELOADS\t3\n",
        )
        .unwrap();
        assert_eq!(s.get("effect_ns"), vec![120000.0, 130000.5]);
        assert_eq!(s.get("boot_to_init_ms"), vec![4000.0, 5000.0]);
        assert_eq!(s.of_source("boot_to_init_ms", "vm-b"), vec![5000.0]);
        assert_eq!(s.sources("boot_to_init_ms"), vec!["vm-a", "vm-b"]);
        assert_eq!(s.get("missing"), Vec::<f64>::new());
        assert_eq!(s.meta("kernel"), Some("7.2.13+deb14-amd64"));
        assert_eq!(s.counts(), vec![("BENCH_RELOADS", "3")]);
    }

    #[test]
    fn bad_sample_lines_are_named() {
        assert_eq!(
            Samples::parse("a\tb\n").unwrap_err(),
            "line 1: expected SOURCE<TAB>KEY<TAB>VALUE, got 'a\tb'"
        );
        assert_eq!(
            Samples::parse("a\tk\t1\na\tk\tx\n").unwrap_err(),
            "line 2: 'x' (of k) is not a number"
        );
        assert!(Samples::parse("a\tk\tinf\n").is_err());
    }

    #[test]
    fn ci_times() {
        let t = parse_ci_times("# date\tkind\tseconds\tnote\n2026-11-29\tcold\t3600\tall targets\n2026-11-30\twarm\t1500.5\n").unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].kind, "cold");
        assert_eq!(t[0].note, "all targets");
        assert_eq!(t[1].seconds, 1500.5);
        assert_eq!(t[1].note, "");
        assert!(parse_ci_times("2026-11-29\thot\t1\n").is_err());
        assert!(parse_ci_times("2026-11-29\tcold\n").is_err());
    }

    #[test]
    fn symbols() {
        let t = parse_symbols(
            "6208\tfunction\trdna1_fg::patcher::Patcher::patch\n\
             \n\
             1024\tdata\t<rdna1_fg::Module as kernel::Module>::init::{{closure}}\n",
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].bytes, 6208);
        assert_eq!(t[0].kind, "function");
        assert_eq!(
            t[1].name,
            "<rdna1_fg::Module as kernel::Module>::init::{{closure}}"
        );
        assert!(parse_symbols("12\tfunction\n").is_err());
        assert!(parse_symbols("x\tfunction\tf\n").is_err());
        assert_eq!(
            parse_symbols("12\tbss\tf\n").unwrap_err(),
            "line 1: kind 'bss' is neither function nor data"
        );
    }
}
