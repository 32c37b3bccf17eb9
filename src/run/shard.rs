//! `--shard i/n`: which benchmarks and targets belong to a shard, and merging the shards'
//! runs back into one. A benchmark's shard depends on its own key alone, so adding or removing
//! benchmarks moves no other.

use std::collections::BTreeMap;
use std::path::PathBuf;

use perfgate_format::{Benchmark, Run, Source};

use crate::config::Shard;
use crate::error::{Error, Result};
use crate::workspace::{BenchTarget, Harness};

/// The shard (0-based) a key falls in: FNV-1a of the key modulo the count.
fn shard_of(key: &str, count: u32) -> u64 {
    crate::stats::fnv1a(key, 0xcbf2_9ce4_8422_2325) % u64::from(count)
}

fn in_shard(key: &str, shard: Shard) -> bool {
    shard_of(key, shard.count) == u64::from(shard.index - 1)
}

/// Whether a target runs in a shard: every criterion and divan target does (its benchmarks are
/// split one by one, see [`benchmark_in_shard`]); a stability suite runs in one process, so it
/// goes whole, by `package/target`.
pub(crate) fn target_in_shard(target: &BenchTarget, shard: Option<Shard>) -> bool {
    shard.is_none_or(|s| {
        target.harness != Harness::Stability
            || in_shard(&format!("{}/{}", target.package, target.name), s)
    })
}

/// The bench targets of a workspace that run in a shard (all of them without one).
pub(crate) fn targets_in_shard(targets: &[BenchTarget], shard: Option<Shard>) -> Vec<BenchTarget> {
    targets
        .iter()
        .filter(|t| target_in_shard(t, shard))
        .cloned()
        .collect()
}

/// Whether one benchmark a criterion or divan target lists is this shard's (a divan benchmark's
/// thread-count rows go together: one `--exact` selects them all).
pub(crate) fn listed_in_shard(target: &BenchTarget, id: &str, shard: Shard) -> bool {
    let id = match target.harness {
        Harness::Divan => super::divan::selector(id),
        Harness::Gungraun => super::gungraun::benchmark_path(id),
        _ => id,
    };
    in_shard(&format!("{}/{}/{id}", target.package, target.name), shard)
}

/// Whether a measured (or baseline) benchmark belongs to a shard: a criterion benchmark by
/// `package/target/id`, a divan figure with its benchmark (and a thread count's row with the
/// others of its benchmark), a stability metric with its whole target.
pub(crate) fn benchmark_in_shard(b: &Benchmark, shard: Option<Shard>) -> bool {
    shard.is_none_or(|s| {
        let key = match b.source {
            // The id the target lists, whatever prefix a collision put in front of it.
            Source::Criterion => format!("{}/{}/{}", b.package, b.target, b.own_id()),
            Source::Divan => format!(
                "{}/{}/{}",
                b.package,
                b.target,
                super::divan::selector(b.own_id())
            ),
            Source::Gungraun => format!(
                "{}/{}/{}",
                b.package,
                b.target,
                super::gungraun::benchmark_path(b.own_id())
            ),
            Source::Stability => format!("{}/{}", b.package, b.target),
        };
        in_shard(&key, s)
    })
}

/// Whether `runs` are shards, every one of `1..=n` exactly once (`false`: a single unsharded
/// run); anything else is an error naming the files.
fn is_shard_set(runs: &[(PathBuf, Run)]) -> Result<bool> {
    let mut seen = BTreeMap::new();
    let mut count = None;
    for (path, run) in runs {
        let shard = run.shard.as_deref().map(Shard::parse).transpose()?;
        let Some(shard) = shard else {
            if runs.len() == 1 {
                return Ok(false);
            }
            return Err(Error::Usage(format!(
                "{}: not a shard run (made without --shard)",
                path.display()
            )));
        };
        if *count.get_or_insert(shard.count) != shard.count {
            return Err(Error::Usage(format!(
                "{}: shard {}/{} does not belong with {} shards",
                path.display(),
                shard.index,
                shard.count,
                count.unwrap_or(0)
            )));
        }
        if let Some(other) = seen.insert(shard.index, path.clone()) {
            return Err(Error::Usage(format!(
                "shard {}/{} given twice: {} and {}",
                shard.index,
                shard.count,
                other.display(),
                path.display()
            )));
        }
    }
    let count = count.unwrap_or(0);
    let missing: Vec<String> = (1..=count)
        .filter(|i| !seen.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Other(format!(
            "shard(s) {} missing: a merge needs every shard's run.json",
            missing.join(", ")
        )));
    }
    Ok(true)
}

/// Combines shard runs; every shard `1..=n` must be there exactly once, all of one commit.
/// Shards may run on different machines (a CI matrix): each confirmed its flags on its own.
pub fn merge_runs(runs: &[(PathBuf, Run)]) -> Result<Run> {
    if !is_shard_set(runs)? {
        return Ok(runs[0].1.clone());
    }
    let mut merged = runs[0].1.clone();
    let commit_of = |run: &Run| run.git.as_ref().map(|g| g.commit.clone());
    if let Some((path, other)) = runs
        .iter()
        .find(|(_, r)| commit_of(r) != commit_of(&merged))
    {
        return Err(Error::Usage(format!(
            "{} measured commit {}, but {} measured {}: shards of one gate must measure the same commit",
            path.display(),
            commit_of(other).unwrap_or_else(|| "none".into()),
            runs[0].0.display(),
            commit_of(&merged).unwrap_or_else(|| "none".into())
        )));
    }
    if let Some(git) = merged.git.as_mut() {
        // One dirty shard makes the whole run dirty.
        git.dirty = runs
            .iter()
            .any(|(_, r)| r.git.as_ref().is_some_and(|g| g.dirty));
    }
    merged.shard = None;
    merged.benchmarks = runs
        .iter()
        .flat_map(|(_, r)| r.benchmarks.clone())
        .collect();
    // Each shard saw only its own benchmarks: ids two targets share are told apart again over
    // the whole set, as one unsharded run would.
    super::make_ids_unique(&mut merged.benchmarks);
    merged.benchmarks.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(twice) = merged.benchmarks.windows(2).find(|w| w[0].id == w[1].id) {
        return Err(Error::Other(format!(
            "`{}` was measured by two shards: were the shards made by different versions or settings? Re-run them with the same `--shard i/n` command",
            twice[0].id
        )));
    }
    merged.errors = runs.iter().flat_map(|(_, r)| r.errors.clone()).collect();
    merged.confirmations = runs
        .iter()
        .flat_map(|(_, r)| r.confirmations.clone())
        .collect();
    merged.identical = runs.iter().flat_map(|(_, r)| r.identical.clone()).collect();
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::{benchmark_in_shard, listed_in_shard};
    use crate::config::Shard;
    use crate::workspace::{BenchTarget, Harness};
    use perfgate_format::{qualified_id, Benchmark, Source};

    #[test]
    fn a_prefixed_id_is_judged_in_the_shard_that_lists_it() {
        let target = BenchTarget {
            package: "demo-core".into(),
            name: "core".into(),
            harness: Harness::Criterion,
            harness_version: None,
            package_root: "/p".into(),
        };
        let mut disagree = 0;
        for i in 0..200 {
            let id = format!("group/bench-{i}");
            let qualified = qualified_id("demo-core", "core", &id);
            let b = Benchmark::new(
                &qualified,
                Source::Criterion,
                "demo-core",
                "core",
                "ns",
                vec![1.0],
            );
            for index in 1..=2 {
                let shard = Shard { index, count: 2 };
                if benchmark_in_shard(&b, Some(shard)) != listed_in_shard(&target, &id, shard) {
                    disagree += 1;
                }
            }
        }
        assert_eq!(disagree, 0, "of 400 (id, shard) pairs");
    }

    #[test]
    fn a_divan_benchmarks_rows_and_figures_share_the_shard_that_lists_them() {
        let target = BenchTarget {
            package: "p".into(),
            name: "speed".into(),
            harness: Harness::Divan,
            harness_version: None,
            package_root: "/p".into(),
        };
        let entry = |id: &str| Benchmark::new(id, Source::Divan, "p", "speed", "ns", vec![1.0]);
        let mut split = 0;
        for i in 0..100 {
            let rows = [
                format!("speed::work_{i}::t=1"),
                format!("speed::work_{i}::t=4"),
                format!("speed::work_{i}::t=4/alloc_count"),
            ];
            for index in 1..=2 {
                let shard = Shard { index, count: 2 };
                let listed: Vec<bool> = rows
                    .iter()
                    .map(|id| listed_in_shard(&target, id, shard))
                    .collect();
                let measured: Vec<bool> = rows
                    .iter()
                    .map(|id| benchmark_in_shard(&entry(id), Some(shard)))
                    .collect();
                if listed.iter().chain(&measured).any(|&b| b != listed[0]) {
                    split += 1;
                }
            }
        }
        assert_eq!(split, 0, "of 200 (benchmark, shard) pairs");
    }
}
