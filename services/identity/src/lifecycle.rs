//! The user lifecycle as a pure state machine: given a user's facts and what
//! happened, what its facts become and what must be recorded.
//!
//! - A provider's `active=false` or `DELETE` blocks at once and schedules the
//!   deactivation after the provider's delay (0: at once, in the same transaction).
//! - The provider's `active=true`, or an admin's unblock, cancels it; `active=true`
//!   reactivates a deactivated user.
//! - An admin's decision is an override that the provider's next change clears:
//!   SCIM `active` keeps echoing what the provider asserted, so an IdP does not
//!   fight the admin every cycle.
//! - Legal hold: a deactivation that comes due for a held user blocks it instead and
//!   waits (due time in the past); releasing the hold runs exactly the waiting ones.
//!
//! No I/O here: the caller reads the facts (and, for a hold release, the tenant's clock)
//! and applies the plan.

use roster_store::{DueChange, LifecycleRecord, LifecycleUpdate, Requester, UserState};
use time::OffsetDateTime;

/// What happened to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Its provider wrote it (create, replace or patch) and asserts `active`.
    ProviderAsserts {
        /// The provider's `active`.
        active: bool,
    },
    /// Its provider deleted it.
    ProviderDeletes,
    /// Its provider re-created it while it was deleted and not yet deactivated.
    ProviderRevives {
        /// The provider's `active` in the new document.
        active: bool,
    },
    /// An admin blocks it.
    AdminBlock,
    /// An admin unblocks it (cancelling a pending deactivation).
    AdminUnblock,
    /// An admin deactivates it at once.
    AdminDeactivate,
    /// An admin reactivates it.
    AdminReactivate,
    /// An admin places it on legal hold.
    SetLegalHold,
    /// An admin releases its legal hold; `now` is the tenant's time, which tells whether a
    /// deactivation is waiting (due) or still scheduled.
    ReleaseLegalHold {
        /// The tenant's current time.
        now: OffsetDateTime,
    },
    /// Its scheduled deactivation came due (the job's fence already matched).
    DeactivationDue,
}

/// Something to record about a transition, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// active → blocked.
    Blocked,
    /// An admin's blocked → active.
    Unblocked,
    /// A deactivation was scheduled after the provider's delay.
    DeactivationScheduled,
    /// A pending deactivation was cancelled.
    DeactivationCancelled,
    /// A deactivation came due but a legal hold keeps it waiting; the user stays blocked.
    DeactivationHeld,
    /// → deactivated.
    Deactivated,
    /// blocked or deactivated → active.
    Reactivated,
    /// Deleted by its provider (hidden from SCIM).
    Deleted,
    /// Re-created by its provider while deleted: the same account again.
    Revived,
    /// Placed on legal hold.
    LegalHoldSet,
    /// Legal hold released.
    LegalHoldReleased,
}

/// The outcome of a command: the columns to write (none when nothing changes),
/// what to record, and what to do with the deactivation job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The lifecycle write; `None` when the command changes nothing.
    pub update: Option<LifecycleUpdate>,
    /// What happened, for the sync and audit logs.
    pub events: Vec<Event>,
    /// Schedule a deactivation job this many seconds ahead (fenced by the new version).
    pub schedule_in_secs: Option<i64>,
    /// Cancel the user's live deactivation job.
    pub cancel_job: bool,
}

/// A command that makes no sense in the user's state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The user is deactivated: reactivate it instead.
    #[error("the user is deactivated; reactivate it instead")]
    Deactivated,
}

/// The facts a transition works on, with the pending-deactivation change so far.
#[derive(Debug, Clone)]
struct Draft {
    state: UserState,
    due: DueChange,
    has_due: bool,
    legal_hold: bool,
    deleted: bool,
    admin_override: bool,
    events: Vec<Event>,
    schedule_in_secs: Option<i64>,
    cancel_job: bool,
}

impl Draft {
    fn new(facts: &LifecycleRecord) -> Self {
        Self {
            state: facts.state,
            due: DueChange::Keep,
            has_due: facts.deactivation_due_at.is_some(),
            legal_hold: facts.legal_hold,
            deleted: facts.deleted_by_provider,
            admin_override: facts.admin_override,
            events: Vec::new(),
            schedule_in_secs: None,
            cancel_job: false,
        }
    }

    fn record(&mut self, event: Event) {
        self.events.push(event);
    }

    fn cancel_pending(&mut self) {
        if self.has_due {
            self.record(Event::DeactivationCancelled);
            self.due = DueChange::Clear;
            self.has_due = false;
            self.cancel_job = true;
        }
    }

    fn activate(&mut self, event: Event) {
        self.cancel_pending();
        if self.state != UserState::Active {
            self.state = UserState::Active;
            self.record(event);
        }
    }

    /// Deactivates now, or, under legal hold, blocks and keeps the deactivation waiting.
    fn deactivate_or_hold(&mut self, by: Requester) {
        self.cancel_job = true;
        if self.legal_hold {
            if self.state == UserState::Active {
                self.record(Event::Blocked);
            }
            self.state = UserState::Blocked;
            self.due = DueChange::In { secs: 0, by };
            self.has_due = true;
            self.record(Event::DeactivationHeld);
        } else {
            self.state = UserState::Deactivated;
            self.due = DueChange::Clear;
            self.has_due = false;
            self.record(Event::Deactivated);
        }
    }

    /// The provider says the user is inactive: block, and schedule unless already pending.
    fn provider_deactivates(&mut self, delay_secs: i64) {
        match self.state {
            UserState::Deactivated => {}
            UserState::Blocked if self.has_due => {}
            UserState::Active | UserState::Blocked => {
                if self.state == UserState::Active {
                    self.state = UserState::Blocked;
                    self.record(Event::Blocked);
                }
                if delay_secs == 0 {
                    self.deactivate_or_hold(Requester::Provider);
                } else {
                    self.due = DueChange::In {
                        secs: delay_secs,
                        by: Requester::Provider,
                    };
                    self.has_due = true;
                    self.cancel_job = true;
                    self.schedule_in_secs = Some(delay_secs);
                    self.record(Event::DeactivationScheduled);
                }
            }
        }
    }

    fn provider_asserts(&mut self, active: bool, delay_secs: i64) {
        self.admin_override = false;
        if active {
            self.activate(Event::Reactivated);
        } else {
            self.provider_deactivates(delay_secs);
        }
    }
}

/// Plans what `command` does to a user with `facts`, given the owning provider's delay.
pub fn plan(
    facts: &LifecycleRecord,
    command: Command,
    delay_secs: i64,
) -> Result<Plan, LifecycleError> {
    let mut d = Draft::new(facts);
    match command {
        Command::ProviderAsserts { active } => d.provider_asserts(active, delay_secs),
        Command::ProviderDeletes => {
            d.deleted = true;
            d.record(Event::Deleted);
            d.provider_asserts(false, delay_secs);
        }
        Command::ProviderRevives { active } => {
            d.deleted = false;
            d.record(Event::Revived);
            d.provider_asserts(active, delay_secs);
        }
        Command::AdminBlock => match d.state {
            UserState::Deactivated => return Err(LifecycleError::Deactivated),
            UserState::Blocked => {}
            UserState::Active => {
                d.state = UserState::Blocked;
                d.admin_override = true;
                d.record(Event::Blocked);
            }
        },
        Command::AdminUnblock => match d.state {
            UserState::Deactivated => return Err(LifecycleError::Deactivated),
            UserState::Active => {}
            UserState::Blocked => {
                d.admin_override = true;
                d.activate(Event::Unblocked);
            }
        },
        Command::AdminDeactivate => {
            let waiting = d.state == UserState::Blocked && d.legal_hold && d.has_due;
            if d.state != UserState::Deactivated && !waiting {
                d.admin_override = true;
                d.deactivate_or_hold(Requester::Admin);
            }
        }
        Command::AdminReactivate => {
            if d.state != UserState::Active {
                d.admin_override = true;
                d.activate(Event::Reactivated);
            }
        }
        Command::SetLegalHold => {
            if !d.legal_hold {
                d.legal_hold = true;
                d.record(Event::LegalHoldSet);
            }
        }
        Command::ReleaseLegalHold { now } => {
            if d.legal_hold {
                d.legal_hold = false;
                d.record(Event::LegalHoldReleased);
                let waiting = facts.deactivation_due_at.is_some_and(|due| due <= now);
                if d.state == UserState::Blocked && waiting {
                    let by = facts.deactivation_requested_by.unwrap_or(Requester::Admin);
                    d.deactivate_or_hold(by);
                }
            }
        }
        Command::DeactivationDue => {
            if d.state == UserState::Blocked && d.has_due {
                if d.legal_hold {
                    d.record(Event::DeactivationHeld);
                } else {
                    let by = facts
                        .deactivation_requested_by
                        .unwrap_or(Requester::Provider);
                    d.deactivate_or_hold(by);
                    d.cancel_job = false;
                }
            }
        }
    }
    let update = LifecycleUpdate {
        state: d.state,
        due: d.due,
        legal_hold: d.legal_hold,
        deleted_by_provider: d.deleted,
        admin_override: d.admin_override,
    };
    let unchanged = update.state == facts.state
        && update.due == DueChange::Keep
        && update.legal_hold == facts.legal_hold
        && update.deleted_by_provider == facts.deleted_by_provider
        && update.admin_override == facts.admin_override;
    Ok(Plan {
        update: (!unchanged).then_some(update),
        events: d.events,
        schedule_in_secs: d.schedule_in_secs,
        cancel_job: d.cancel_job && !unchanged,
    })
}

/// The longest deactivation delay a provider may have: 90 days.
pub const MAX_DELAY_SECS: i64 = 90 * 24 * 3600;

/// Parses a deactivation delay: a whole number of seconds with a unit (`30s`, `15m`, `2h`,
/// `90d`) or `0`; at most 90 days.
pub fn parse_delay(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(0);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("{text:?} has no unit: use s, m, h or d (e.g. 30s, 15m, 90d)"))?;
    let (digits, unit) = text.split_at(split);
    let amount: i64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a delay such as 30s, 15m or 90d"))?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?} has an unknown unit: use s, m, h or d")),
    };
    let secs = amount
        .checked_mul(scale)
        .ok_or_else(|| format!("{text:?} is longer than 90 days"))?;
    check_delay(secs)?;
    Ok(secs)
}

/// Checks a delay in seconds against the allowed range, 0 to 90 days.
pub fn check_delay(secs: i64) -> Result<(), String> {
    if (0..=MAX_DELAY_SECS).contains(&secs) {
        Ok(())
    } else {
        Err(format!(
            "the deactivation delay must be between 0 and 90 days (7776000 seconds); got {secs} seconds"
        ))
    }
}

#[cfg(test)]
mod tests;
