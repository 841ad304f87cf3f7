//! The settings a run is made under beside its choices: budgets, storage fault classes and
//! the latency strategy. A choice buffer says what happens; these say under which rules, so
//! a file `shrink` writes carries them and replays the same way with no flags.

use crate::options::RunOptions;
use protocol_core::Time;
use sim::{Budget, StorageClasses, Strategy};

/// Settings that differ from a seed run's defaults (`None`: the default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunSettings {
    pub storage_faults: Option<StorageClasses>,
    pub strategy: Option<Strategy>,
    pub max_events: Option<u64>,
    pub max_virtual_us: Option<u64>,
    pub max_pending: Option<usize>,
}

impl RunSettings {
    /// What `options` sets away from the defaults.
    pub fn of(options: &RunOptions) -> RunSettings {
        let budget = &options.budget;
        let default = Budget::DEFAULT;
        RunSettings {
            storage_faults: Some(options.storage_faults)
                .filter(|&classes| classes != StorageClasses::ALL),
            strategy: Some(options.strategy).filter(|&s| s != Strategy::Random),
            max_events: Some(budget.max_events).filter(|&n| n != default.max_events),
            max_virtual_us: Some(budget.max_virtual.0).filter(|&t| t != default.max_virtual.0),
            max_pending: Some(budget.max_pending).filter(|&n| n != default.max_pending),
        }
    }

    /// These settings where given, `base`'s elsewhere: a command line's flags over a file's.
    pub fn over(self, base: RunSettings) -> RunSettings {
        RunSettings {
            storage_faults: self.storage_faults.or(base.storage_faults),
            strategy: self.strategy.or(base.strategy),
            max_events: self.max_events.or(base.max_events),
            max_virtual_us: self.max_virtual_us.or(base.max_virtual_us),
            max_pending: self.max_pending.or(base.max_pending),
        }
    }

    /// Sets what these settings give on `options`, leaving the rest as it is.
    pub fn apply(&self, options: &mut RunOptions) {
        if let Some(classes) = self.storage_faults {
            options.storage_faults = classes;
        }
        if let Some(strategy) = self.strategy {
            options.strategy = strategy;
        }
        self.apply_budget(&mut options.budget);
    }

    /// Sets the budget limits these settings give on `budget`, leaving the rest as it is.
    pub fn apply_budget(&self, budget: &mut Budget) {
        if let Some(n) = self.max_events {
            budget.max_events = n;
        }
        if let Some(t) = self.max_virtual_us {
            budget.max_virtual = Time(t);
        }
        if let Some(n) = self.max_pending {
            budget.max_pending = n;
        }
    }

    /// The lines a choice file gives them as (`key value`), in a fixed order.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(classes) = self.storage_faults {
            lines.push(format!("storage-faults {classes}"));
        }
        if let Some(strategy) = self.strategy {
            lines.push(format!("strategy {}", strategy.name()));
        }
        if let Some(n) = self.max_events {
            lines.push(format!("max-events {n}"));
        }
        if let Some(t) = self.max_virtual_us {
            lines.push(format!("max-virtual-us {t}"));
        }
        if let Some(n) = self.max_pending {
            lines.push(format!("max-pending {n}"));
        }
        lines
    }

    /// Reads one `key value` line of [`RunSettings::lines`]: `Ok(false)` if `key` is not a
    /// setting.
    pub fn read_line(&mut self, key: &str, value: &str) -> Result<bool, String> {
        let number = |what: &str| {
            value
                .parse::<u64>()
                .map_err(|_| format!("{what} wants a whole number, not '{value}'"))
        };
        match key {
            "storage-faults" => self.storage_faults = Some(StorageClasses::parse(value)?),
            "strategy" => {
                let strategy = Strategy::from_name(value).ok_or_else(|| {
                    let known = Strategy::NAMES.join(", ");
                    format!("unknown strategy '{value}' (one of {known})")
                })?;
                self.strategy = Some(strategy);
            }
            "max-events" => self.max_events = Some(number(key)?),
            "max-virtual-us" => self.max_virtual_us = Some(number(key)?),
            "max-pending" => {
                let n = usize::try_from(number(key)?).map_err(|e| e.to_string())?;
                self.max_pending = Some(n);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unusual() -> RunOptions {
        RunOptions {
            storage_faults: StorageClasses::parse("torn-writes,sync-errors").unwrap(),
            strategy: Strategy::Pct,
            budget: Budget {
                max_events: 20,
                max_virtual: Time(7_000_001),
                max_pending: 9,
                ..Budget::DEFAULT
            },
            ..RunOptions::default()
        }
    }

    #[test]
    fn defaults_record_nothing_and_each_setting_round_trips_through_its_line() {
        assert_eq!(
            RunSettings::of(&RunOptions::default()),
            RunSettings::default()
        );
        let settings = RunSettings::of(&unusual());
        assert_eq!(settings.lines().len(), 5);
        let mut read = RunSettings::default();
        for line in settings.lines() {
            let (key, value) = line.split_once(' ').unwrap();
            assert_eq!(read.read_line(key, value), Ok(true), "{line}");
        }
        assert_eq!(read, settings);
        let mut applied = RunOptions::default();
        read.apply(&mut applied);
        assert_eq!(applied, unusual());
    }

    #[test]
    fn given_settings_win_over_the_base_and_bad_values_are_errors() {
        let file = RunSettings::of(&unusual());
        let flags = RunSettings {
            strategy: Some(Strategy::DelayBound),
            ..RunSettings::default()
        };
        let both = flags.over(file);
        assert_eq!(both.strategy, Some(Strategy::DelayBound));
        assert_eq!(both.max_events, Some(20));
        let mut settings = RunSettings::default();
        assert_eq!(settings.read_line("colour", "blue"), Ok(false));
        assert!(settings.read_line("strategy", "fastest").is_err());
        assert!(settings.read_line("max-events", "-1").is_err());
        assert!(settings.read_line("storage-faults", "gremlins").is_err());
    }
}
