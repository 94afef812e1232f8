//! Splitting the collection runs across the jobs of a pipeline that runs
//! this step with `strategy: parallel: N`: every run lands in exactly one
//! job, the shares differ by at most one run, and every job computes the
//! same split from the same inputs without talking to the others.

use crate::azure::agent::AgentEnv;
use crate::plan::ShardSpec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shard {
    /// 1-based.
    pub(crate) index: usize,
    pub(crate) count: usize,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The shard this job runs, if any. `auto` reads the job's position from
/// the agent (`System.JobPositionInPhase`, `System.TotalJobsInPhase`); a job
/// that is not part of a parallel strategy runs everything.
pub(crate) fn resolve(spec: ShardSpec, env: &AgentEnv) -> Result<Option<Shard>, String> {
    match spec {
        ShardSpec::None => Ok(None),
        ShardSpec::Explicit { index, count } => Ok((count > 1).then_some(Shard { index, count })),
        ShardSpec::Auto => {
            let read = |name: &str| env.variable(name).map(|v| v.trim().parse::<usize>());
            match (
                read("system.jobPositionInPhase"),
                read("system.totalJobsInPhase"),
            ) {
                (_, None) | (_, Some(Ok(0 | 1))) => Ok(None),
                (Some(Ok(index)), Some(Ok(count))) if (1..=count).contains(&index) => {
                    Ok(Some(Shard { index, count }))
                }
                (position, total) => {
                    let shown = |value: Option<Result<usize, _>>| match value {
                        None => "(unset)".to_owned(),
                        Some(Ok(n)) => n.to_string(),
                        Some(Err(_)) => "(not a number)".to_owned(),
                    };
                    Err(format!(
                        "shard `auto` needs the job's position, but the agent gave System.JobPositionInPhase={} and System.TotalJobsInPhase={}",
                        shown(position),
                        shown(total),
                    ))
                }
            }
        }
    }
}

/// This shard's share of `items`: round robin over their order, which every
/// job sees the same (the resolved runs: patterns expanded and sorted).
pub(crate) fn select<T>(items: Vec<T>, shard: Shard) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % shard.count == shard.index - 1)
        .map(|(_, item)| item)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_lands_in_exactly_one_shard_and_shares_are_balanced() {
        for items in [0usize, 1, 5, 17, 100] {
            for count in 1..=9 {
                let all: Vec<usize> = (0..items).collect();
                let mut seen = Vec::new();
                let mut sizes = Vec::new();
                for index in 1..=count {
                    let share = select(all.clone(), Shard { index, count });
                    // Stable: the same inputs give the same share.
                    assert_eq!(share, select(all.clone(), Shard { index, count }));
                    sizes.push(share.len());
                    seen.extend(share);
                }
                seen.sort();
                assert_eq!(seen, all, "{items} items, {count} shards");
                let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(max - min <= 1, "{sizes:?}");
            }
        }
    }

    #[test]
    fn auto_reads_the_jobs_position() {
        let env = |pairs: &[(&str, &str)]| {
            AgentEnv::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        };
        let job = env(&[
            ("SYSTEM_JOBPOSITIONINPHASE", "2"),
            ("SYSTEM_TOTALJOBSINPHASE", "3"),
        ]);
        assert_eq!(
            resolve(ShardSpec::Auto, &job),
            Ok(Some(Shard { index: 2, count: 3 }))
        );
        assert_eq!(
            resolve(ShardSpec::Auto, &env(&[])),
            Ok(None),
            "not a parallel job"
        );
        assert_eq!(
            resolve(
                ShardSpec::Auto,
                &env(&[
                    ("SYSTEM_JOBPOSITIONINPHASE", "1"),
                    ("SYSTEM_TOTALJOBSINPHASE", "1")
                ])
            ),
            Ok(None)
        );
        assert!(
            resolve(
                ShardSpec::Auto,
                &env(&[
                    ("SYSTEM_JOBPOSITIONINPHASE", "4"),
                    ("SYSTEM_TOTALJOBSINPHASE", "3")
                ])
            )
            .is_err()
        );
        assert_eq!(
            resolve(ShardSpec::Explicit { index: 1, count: 1 }, &env(&[])),
            Ok(None)
        );
    }
}
