//! Everything perfgate knows about divan, in one file: how a divan bench target is recognised,
//! how its benchmarks are listed and selected, and how its printed tree is read.
//!
//! Divan keeps no files and prints no per-sample values: one process prints, per benchmark, the
//! fastest, slowest, median and mean of its samples (four significant digits), and with
//! `AllocProfiler` the allocations per iteration. What perfgate records for a divan benchmark is
//! therefore one figure per *process*: a run starts the executable several times
//! ([`PROCESSES`]) and an entry's samples are those processes' medians, so its interval is
//! over the spread between processes, which is the spread a comparison with another build
//! meets. In the confirm stage a round is one baseline and one candidate process, each giving
//! its median, as a criterion probe does.
//!
//! An id is divan's own path of the benchmark (`crate::module::function::arg`, as `--exact`
//! takes it); an allocation figure is that path with `/alloc_count`, `/alloc_bytes`,
//! `/max_alloc_count`, … after it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use perfgate_format::{Benchmark, Direction, Source};

use super::criterion::filter_matches;
use crate::stats;
use crate::workspace::BenchTarget;

/// Divan's package name.
pub(crate) const CRATE: &str = "divan";

/// Processes per run: each gives one median per benchmark, and a run's samples are those
/// medians. Ten give the stored comparison an interval with room for the spread between
/// processes (at least `compare::MIN_SAMPLES_FOR_INTERVAL` are needed for one at all); a quick
/// run takes five, the fewest with an interval.
pub(crate) const PROCESSES: usize = 10;
pub(crate) const QUICK_PROCESSES: usize = 5;

/// Samples per benchmark in a quick run (divan's own default is 100).
const QUICK_SAMPLES: &str = "20";

/// The allocation figures divan prints under a benchmark, by the label of their rows, and the
/// metric names perfgate gives the count and the bytes of each.
const ALLOC_ROWS: [(&str, &str, &str); 5] = [
    ("max alloc:", "max_alloc_count", "max_alloc_bytes"),
    ("alloc:", "alloc_count", "alloc_bytes"),
    ("dealloc:", "dealloc_count", "dealloc_bytes"),
    ("grow:", "grow_count", "grow_bytes"),
    ("shrink:", "shrink_count", "shrink_bytes"),
];

/// The allocation figures perfgate keeps (the part of an id after its benchmark's path): what
/// "allocates more" is judged on. The other rows (max alloc, dealloc, grow, shrink) are read,
/// so a malformed one is an error, but not kept.
pub(crate) const ALLOC_METRICS: [&str; 2] = ["alloc_count", "alloc_bytes"];

/// Whether a bench target's source runs divan (`divan::main()`, or a configured
/// `divan::Divan`), divan being imported as `used_as`.
pub(crate) fn recognises(source: &str, used_as: &str) -> bool {
    source.contains(&format!("{used_as}::main()")) || source.contains(&format!("{used_as}::Divan"))
}

/// The benchmark path an id names: the id, or for an allocation figure the path before it.
pub(crate) fn benchmark_path(id: &str) -> &str {
    id.rsplit_once('/')
        .filter(|(_, metric)| ALLOC_METRICS.contains(metric))
        .map_or(id, |(path, _)| path)
}

/// One benchmark as one divan process printed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Divan's path: `crate::module::function` and, for arguments, types, consts or thread
    /// counts, one more segment each.
    pub path: String,
    /// The median of its samples, per iteration, in nanoseconds.
    pub median_ns: f64,
    /// Allocation figures (metric name, median per iteration, unit `count` or `B`).
    pub allocs: Vec<(&'static str, f64, &'static str)>,
}

/// Reads divan's printed tree. Lines without a column rule (`│`) are not the table (the timer
/// line, a benchmark's own prints) and are passed over; every table line must read as a group,
/// a benchmark, an allocation figure or a throughput figure (the last is derived from the time
/// and not kept), or the whole output is an error naming the line.
pub fn parse_output(text: &str) -> Result<Vec<Row>, String> {
    let mut tree = Tree::default();
    for (at, line) in text.lines().enumerate() {
        if !line.contains('│') {
            continue;
        }
        tree.read(line).map_err(|why| {
            format!(
                "divan output line {}: {why}: `{}`",
                at + 1,
                crate::text::terminal_text(line.trim_end())
            )
        })?;
    }
    Ok(tree.rows)
}

/// The tree read so far: its benchmarks, the names of the groups above the next row, and the
/// allocation label being read (which of `ALLOC_ROWS`, and how many of its two value lines came).
#[derive(Default)]
struct Tree {
    rows: Vec<Row>,
    names: Vec<String>,
    label: Option<(usize, usize)>,
}

impl Tree {
    /// One line of the table; the error is why it does not read.
    fn read(&mut self, line: &str) -> Result<(), String> {
        let parts: Vec<&str> = line.split('│').collect();
        if parts.len() < 6 {
            return Err("not a row of divan's table (fewer than six columns)".into());
        }
        let (first, columns) = parts.split_at(parts.len() - 5);
        let first = first.join("│");
        let columns: Vec<&str> = columns.iter().map(|c| c.trim()).collect();
        let (depth, named, rest) = tree_prefix(&first);
        if columns == ["slowest", "median", "mean", "samples", "iters"] {
            let root = rest
                .trim_end()
                .strip_suffix("fastest")
                .map(str::trim)
                .filter(|n| !n.is_empty() && depth == 0 && !named)
                .ok_or("a header without a crate name")?;
            self.names = vec![root.to_string()];
            self.label = None;
            Ok(())
        } else if named {
            self.label = None;
            self.named_row(depth, rest, &columns)
        } else {
            self.under_a_benchmark(rest.trim(), &columns)
        }
    }

    /// A group, an ignored benchmark, or a benchmark with its figures.
    fn named_row(&mut self, depth: usize, rest: &str, columns: &[&str]) -> Result<(), String> {
        if self.names.is_empty() || depth > self.names.len() {
            return Err("a benchmark outside any group".into());
        }
        self.names.truncate(depth);
        if columns[3].is_empty() {
            // A group, or an ignored benchmark (no figures).
            let name = rest.trim();
            let name = name.strip_suffix("(ignored)").map_or(name, str::trim_end);
            if name.is_empty() {
                return Err("a row without a name".into());
            }
            self.names.push(name.to_string());
            return Ok(());
        }
        let (name, fastest) =
            split_last_value(rest.trim_end()).ok_or("a benchmark row without its fastest time")?;
        duration_ns(fastest).ok_or("the fastest time does not read")?;
        let median_ns = duration_ns(columns[1]).ok_or("the median time does not read")?;
        for (column, what) in [(columns[3], "samples"), (columns[4], "iters")] {
            column
                .parse::<u64>()
                .map_err(|_| format!("{what} is not a whole number"))?;
        }
        if name.is_empty() {
            return Err("a row without a name".into());
        }
        self.names.push(name.to_string());
        let path = self.names.join("::");
        if self.rows.iter().any(|r| r.path == path) {
            return Err("the same benchmark twice in one output".into());
        }
        self.rows.push(Row {
            path,
            median_ns,
            allocs: Vec::new(),
        });
        Ok(())
    }

    /// A line under a benchmark: an allocation label, one of its two value lines, or a
    /// throughput figure (derived from the time, passed over).
    fn under_a_benchmark(&mut self, text: &str, columns: &[&str]) -> Result<(), String> {
        if let Some(at) = ALLOC_ROWS.iter().position(|(l, _, _)| *l == text) {
            if columns.iter().any(|c| !c.is_empty()) || self.rows.is_empty() {
                return Err("an allocation label out of place".into());
            }
            self.label = Some((at, 0));
            return Ok(());
        }
        if !columns[3].is_empty() || !columns[4].is_empty() || columns[1].is_empty() {
            return Err("neither a benchmark, a group nor a figure under one".into());
        }
        let Some((at, seen)) = self.label else {
            return Ok(()); // a throughput (`42.08 GB/s`, `1.2 Mitem/s`)
        };
        let row = self
            .rows
            .last_mut()
            .ok_or("a figure before any benchmark")?;
        let (_, count_name, bytes_name) = ALLOC_ROWS[at];
        if seen == 0 {
            let count = number(columns[1]).ok_or("an allocation count that does not read")?;
            row.allocs.push((count_name, count, "count"));
            self.label = Some((at, 1));
        } else {
            let size = bytes(columns[1]).ok_or("an allocation size that does not read")?;
            row.allocs.push((bytes_name, size, "B"));
            self.label = None;
        }
        Ok(())
    }
}

/// The depth of a row in the tree (units of `│  ` or three spaces, one more for a branch), and
/// whether it names an entry (it has a branch), and the text after the prefix.
fn tree_prefix(first: &str) -> (usize, bool, &str) {
    let mut rest = first;
    let mut depth = 0;
    loop {
        if let Some(after) = rest
            .strip_prefix("├─ ")
            .or_else(|| rest.strip_prefix("╰─ "))
        {
            return (depth + 1, true, after);
        }
        match rest
            .strip_prefix("│  ")
            .or_else(|| rest.strip_prefix("   "))
        {
            Some(after) => {
                rest = after;
                depth += 1;
            }
            None => return (depth, false, rest),
        }
    }
}

/// A row's name and its fastest figure (`<number> <unit>`), the last two words of the text.
fn split_last_value(text: &str) -> Option<(&str, &str)> {
    let (before_unit, _) = text.rsplit_once(' ')?;
    let (name, _) = before_unit.rsplit_once(' ')?;
    let value = text[name.len()..].trim();
    Some((name.trim_end(), value))
}

fn number(text: &str) -> Option<f64> {
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// A divan time (`0.385 ns`, `95.44 µs`, `1.2 s`, `3 m`) in nanoseconds.
pub fn duration_ns(text: &str) -> Option<f64> {
    let (value, unit) = text.split_once(' ')?;
    let scale = match unit {
        "ps" => 1e-3,
        "ns" => 1.0,
        "µs" | "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        "d" => 86_400e9,
        _ => return None,
    };
    number(value).map(|v| v * scale)
}

/// A divan size (`64 B`, `1.5 KB`, `2 KiB`) in bytes.
pub fn bytes(text: &str) -> Option<f64> {
    let (value, unit) = text.split_once(' ')?;
    let decimal = ["B", "KB", "MB", "GB", "TB", "PB"];
    let binary = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let scale = if let Some(p) = decimal.iter().position(|u| *u == unit) {
        1000f64.powi(p as i32)
    } else {
        1024f64.powi(binary.iter().position(|u| *u == unit)? as i32)
    };
    number(value).map(|v| v * scale)
}

/// The ids of a divan target's benchmarks, the user's filter applied (a regex on the id, as
/// criterion's is on its id), read from a one-sample run (`--sample-count 1 --sample-size 1`):
/// the rows a run prints, thread counts included, which no list of divan's has (its
/// `--list --format terse`, 0.1.19 and later, names a benchmark with `threads = [1, 4]` once,
/// and earlier versions name no argument rows at all).
pub fn list(
    target: &BenchTarget,
    executable: &Path,
    filter: Option<&str>,
    timeout: Duration,
    log: &Path,
) -> Result<Vec<String>, String> {
    let mut command = Command::new(executable);
    command.current_dir(&target.package_root).args([
        "--bench",
        "--sample-count",
        "1",
        "--sample-size",
        "1",
    ]);
    let text = super::run_read(command, timeout, log)?;
    let rows = parse_output(&text).map_err(|e| format!("{e} (in {})", log.display()))?;
    let wanted = filter_matches(filter);
    Ok(rows
        .into_iter()
        .map(|r| r.path)
        .filter(|p| wanted(p))
        .collect())
}

/// What `--exact` selects an id's benchmark by: its path without an allocation figure's name
/// and without a thread count (`::t=4`), which divan prints as rows but does not filter on.
pub fn selector(id: &str) -> &str {
    let path = benchmark_path(id);
    path.rsplit_once("::")
        .filter(|(_, last)| {
            last.strip_prefix("t=")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map_or(path, |(selector, _)| selector)
}

/// How a divan target is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measurement {
    /// [`PROCESSES`] processes with the benchmarks' own settings.
    Full,
    /// [`QUICK_PROCESSES`] processes of [`QUICK_SAMPLES`] samples per benchmark.
    Quick,
    /// One process with the benchmarks' own settings: one side of one confirm round.
    Probe,
}

/// Runs a divan executable as `measurement` says, each process selecting exactly the benchmarks
/// of the ids `only` names (benchmarks or their allocation figures; all benchmarks when
/// `None`), and returns one entry per benchmark and allocation figure with one sample per
/// process (that process's median). A benchmark one process printed and another did not is an
/// error: the run never silently lacks it.
pub fn run(
    target: &BenchTarget,
    executable: &Path,
    only: Option<&[String]>,
    measurement: Measurement,
    timeout: Duration,
    log: &Path,
) -> Result<Vec<Benchmark>, String> {
    let processes = match measurement {
        Measurement::Full => PROCESSES,
        Measurement::Quick => QUICK_PROCESSES,
        Measurement::Probe => 1,
    };
    let mut args: Vec<String> = vec!["--bench".into()];
    if measurement == Measurement::Quick {
        args.extend(["--sample-count".into(), QUICK_SAMPLES.into()]);
    }
    // Allocation figures asked for by id are there even where divan printed no rows for them
    // (it prints none for a benchmark that does not allocate, even with the profiler).
    let mut allocs_asked = false;
    if let Some(only) = only {
        allocs_asked = only.iter().any(|id| benchmark_path(id) != id);
        let mut paths: Vec<&str> = only.iter().map(|id| selector(id)).collect();
        paths.sort_unstable();
        paths.dedup();
        args.push("--exact".into());
        args.extend(paths.into_iter().map(str::to_string));
    }
    let mut figures: Vec<(String, &'static str, Vec<f64>)> = Vec::new();
    for process in 0..processes {
        let mut command = Command::new(executable);
        command.args(&args).current_dir(&target.package_root);
        let text = super::run_read(command, timeout, log)?;
        let rows = parse_output(&text).map_err(|e| format!("{e} (in {})", log.display()))?;
        let seen = figures_of(rows, allocs_asked);
        if process == 0 {
            figures = seen
                .into_iter()
                .map(|(id, u, v)| (id, u, vec![v]))
                .collect();
            continue;
        }
        if seen.len() != figures.len() || seen.iter().zip(&figures).any(|(s, f)| s.0 != f.0) {
            return Err(format!(
                "process {} of {processes} printed other benchmarks than the first did (output in {})",
                process + 1,
                super::shown_path(log).display()
            ));
        }
        for ((_, _, value), (_, _, samples)) in seen.into_iter().zip(figures.iter_mut()) {
            samples.push(value);
        }
    }
    Ok(figures
        .into_iter()
        .map(|(id, unit, samples)| Benchmark {
            summary: stats::summary(&samples),
            id,
            source: Source::Divan,
            package: target.package.clone(),
            target: target.name.clone(),
            unit: unit.to_string(),
            direction: Direction::LowerIsBetter,
            samples,
            throughput: None,
            kind: None,
        })
        .collect())
}

/// One process's figures: each benchmark's median time and, with the profiler installed (some
/// benchmark has allocation rows, or they were asked for by id), its allocation figures, 0
/// where divan printed none (it prints a tally only where it is not zero).
fn figures_of(rows: Vec<Row>, allocs_asked: bool) -> Vec<(String, &'static str, f64)> {
    let profiled = allocs_asked || rows.iter().any(|r| !r.allocs.is_empty());
    let mut figures = Vec::new();
    for row in rows {
        figures.push((row.path.clone(), "ns", row.median_ns));
        if !profiled {
            continue;
        }
        for metric in ALLOC_METRICS {
            let unit = if metric.ends_with("bytes") {
                "B"
            } else {
                "count"
            };
            let value = row
                .allocs
                .iter()
                .find(|(m, _, _)| *m == metric)
                .map_or(0.0, |(_, v, _)| *v);
            figures.push((format!("{}/{metric}", row.path), unit, value));
        }
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As divan 0.1.21 printed it for a fixture with arguments, generic types and consts, a
    /// nested group, a byte counter and `AllocProfiler`.
    const PRINTED: &str = "\
Timer precision: 18 ns
fast             fastest       │ slowest       │ median        │ mean          │ samples │ iters
├─ add           0.385 ns      │ 0.393 ns      │ 0.389 ns      │ 0.389 ns      │ 100     │ 409600
├─ fib                         │               │               │               │         │
│  ├─ 1          0.889 ns      │ 0.895 ns      │ 0.892 ns      │ 0.892 ns      │ 100     │ 204800
│  ╰─ 100        13.86 ns      │ 14.07 ns      │ 13.96 ns      │ 13.96 ns      │ 100     │ 25600
├─ slow          95.44 µs      │ 138.9 µs      │ 126.7 µs      │ 126.9 µs      │ 100     │ 100
├─ group                       │               │               │               │         │
│  ├─ alloc_vec  15.31 ns      │ 29.47 ns      │ 16.17 ns      │ 16.66 ns      │ 100     │ 6400
│  │             max alloc:    │               │               │               │         │
│  │               1           │ 1             │ 1             │ 1             │         │
│  │               64 B        │ 64 B          │ 64 B          │ 64 B          │         │
│  │             alloc:        │               │               │               │         │
│  │               2           │ 2             │ 2             │ 2             │         │
│  │               1.5 KB      │ 1.5 KB        │ 1.5 KB        │ 1.5 KB        │         │
│  ├─ inner                    │               │               │               │         │
│  │  ╰─ deep    2.376 ns      │ 2.405 ns      │ 2.387 ns      │ 2.387 ns      │ 100     │ 102400
│  │             42.08 GB/s    │ 41.58 GB/s    │ 41.89 GB/s    │ 41.89 GB/s    │         │
│  ╰─ konst                    │               │               │               │         │
│     ╰─ 8       0.165 ns      │ 0.172 ns      │ 0.17 ns       │ 0.17 ns       │ 100     │ 819200
├─ skipped       (ignored)     │               │               │               │         │
╰─ make                        │               │               │               │         │
   ├─ HashMap<u8, u8>  0.295 ns│ 2.283 ns      │ 0.298 ns      │ 0.318 ns      │ 100     │ 102400
   ╰─ Vec<u8>    0.37 ns       │ 4.692 ns      │ 2 s           │ 0.42 ns       │ 100     │ 204800
";

    #[test]
    fn every_row_of_the_tree_is_read_with_its_path_unit_and_allocations() {
        let rows = parse_output(PRINTED).unwrap();
        let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "fast::add",
                "fast::fib::1",
                "fast::fib::100",
                "fast::slow",
                "fast::group::alloc_vec",
                "fast::group::inner::deep",
                "fast::group::konst::8",
                "fast::make::HashMap<u8, u8>",
                "fast::make::Vec<u8>",
            ]
        );
        assert_eq!(rows[0].median_ns, 0.389);
        assert!((rows[3].median_ns - 126_700.0).abs() < 1e-6);
        assert_eq!(rows[8].median_ns, 2e9);
        assert_eq!(
            rows[4].allocs,
            vec![
                ("max_alloc_count", 1.0, "count"),
                ("max_alloc_bytes", 64.0, "B"),
                ("alloc_count", 2.0, "count"),
                ("alloc_bytes", 1500.0, "B"),
            ]
        );
        assert!(
            rows[5].allocs.is_empty(),
            "a throughput is not an allocation"
        );
    }

    #[test]
    fn a_row_that_does_not_read_is_an_error_naming_its_line() {
        let header = "fast   fastest │ slowest │ median │ mean │ samples │ iters\n";
        for (row, why) in [
            ("├─ add  1 ns │ 1 ns │ 1 x │ 1 ns │ 100 │ 9", "median"),
            ("├─ add  1 ns │ 1 ns │ 1 ns │ 1 ns │ 100 │ lots", "iters"),
            ("├─ add  1 ns │ 1 ns │ 1 ns │ 100 │ 9", "six columns"),
            ("├─ add  fast │ 1 ns │ 1 ns │ 1 ns │ 100 │ 9", "fastest"),
            ("│  weird:   │ 1 │ 1 │ 1 │ 1 │ 1", "neither"),
        ] {
            let err = parse_output(&format!("{header}{row}\n")).unwrap_err();
            assert!(err.contains("line 2"), "{err}");
            assert!(err.contains(why), "{why}: {err}");
        }
        let err = parse_output("├─ add   1 ns │ 1 ns │ 1 ns │ 1 ns │ 1 │ 1\n").unwrap_err();
        assert!(err.contains("outside any group"), "{err}");
    }

    #[test]
    fn units_read_exactly() {
        assert_eq!(duration_ns("250 ps"), Some(0.25));
        assert_eq!(duration_ns("1.5 ms"), Some(1.5e6));
        assert_eq!(duration_ns("3 m"), Some(180e9));
        assert_eq!(duration_ns("3 parsecs"), None);
        assert_eq!(duration_ns("-1 ns"), None);
        assert_eq!(bytes("2 KiB"), Some(2048.0));
        assert_eq!(bytes("2 MB"), Some(2e6));
        assert_eq!(bytes("2 kB"), None);
    }

    #[test]
    fn recognised_under_any_name_and_allocation_ids_map_to_their_benchmark() {
        assert!(recognises("fn main() { divan::main(); }", "divan"));
        assert!(recognises(
            "fn main() { dv::Divan::from_args().main() }",
            "dv"
        ));
        assert!(!recognises("criterion_main!(benches);", "divan"));
        assert_eq!(benchmark_path("a::b/alloc_count"), "a::b");
        assert_eq!(benchmark_path("a::b/alloc_bytes"), "a::b");
        assert_eq!(
            benchmark_path("a::b/max_alloc_bytes"),
            "a::b/max_alloc_bytes"
        );
        assert_eq!(benchmark_path("a::make::x/y"), "a::make::x/y");
    }

    /// A whole tree as divan 0.1.21 printed it: thread counts, an ignored benchmark, arguments
    /// with a space and a slash under generic types, the allocation profiler.
    #[test]
    fn a_real_tree_reads_every_row() {
        let text = include_str!("../../tests/data/divan-0.1.21-tree.txt");
        let rows = parse_output(text).unwrap();
        let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
        for expected in [
            "fast::contended::t=1",
            "fast::contended::t=2",
            "fast::both::u8::a b",
            "fast::both::u16::x/y",
            "fast::group::konst::8",
            "fast::make::Vec<u8>",
        ] {
            assert!(paths.contains(&expected), "{expected} not in {paths:?}");
        }
        assert!(!paths.iter().any(|p| p.contains("ignored_one")));
        assert_eq!(rows.len(), 17, "{paths:?}");
        let alloc = rows
            .iter()
            .find(|r| r.path == "fast::group::alloc_vec")
            .unwrap();
        assert!(alloc.allocs.contains(&("alloc_count", 1.0, "count")));
    }

    #[test]
    fn a_thread_count_row_is_selected_by_its_benchmark() {
        assert_eq!(selector("fast::contended::t=4"), "fast::contended");
        assert_eq!(
            selector("fast::contended::t=4/alloc_count"),
            "fast::contended"
        );
        assert_eq!(selector("fast::fib::10"), "fast::fib::10");
        assert_eq!(selector("fast::x::t=a"), "fast::x::t=a");
    }
}
