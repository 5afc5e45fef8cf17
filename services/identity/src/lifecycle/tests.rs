use roster_store::{DueChange, LifecycleRecord, Requester, UserState};
use time::OffsetDateTime;

use super::*;

/// 2026-11-22 12:00:00 UTC.
const NOW: OffsetDateTime = match OffsetDateTime::from_unix_timestamp(1_795_348_800) {
    Ok(now) => now,
    Err(_) => panic!("a valid timestamp"),
};
const DELAY: i64 = 900;

fn facts(state: UserState) -> LifecycleRecord {
    LifecycleRecord {
        state,
        ..LifecycleRecord::default()
    }
}

fn pending(due: OffsetDateTime, by: Requester) -> LifecycleRecord {
    LifecycleRecord {
        state: UserState::Blocked,
        deactivation_due_at: Some(due),
        deactivation_requested_by: Some(by),
        ..LifecycleRecord::default()
    }
}

fn run(facts: &LifecycleRecord, command: Command) -> Plan {
    plan(facts, command, DELAY).expect("command is valid here")
}

fn update(plan: &Plan) -> LifecycleUpdate {
    plan.update.expect("the command changes something")
}

#[test]
fn provider_inactive_blocks_at_once_and_schedules_after_the_delay() {
    let p = run(
        &facts(UserState::Active),
        Command::ProviderAsserts { active: false },
    );
    let u = update(&p);
    assert_eq!(u.state, UserState::Blocked);
    assert_eq!(
        u.due,
        DueChange::In {
            secs: DELAY,
            by: Requester::Provider
        }
    );
    assert_eq!(p.schedule_in_secs, Some(DELAY));
    assert_eq!(p.events, vec![Event::Blocked, Event::DeactivationScheduled]);
}

#[test]
fn a_zero_delay_deactivates_in_the_same_transaction() {
    let p = plan(&facts(UserState::Active), Command::ProviderDeletes, 0).expect("valid");
    let u = update(&p);
    assert_eq!(u.state, UserState::Deactivated);
    assert!(u.deleted_by_provider);
    assert_eq!(p.schedule_in_secs, None);
    assert_eq!(
        p.events,
        vec![Event::Deleted, Event::Blocked, Event::Deactivated]
    );
}

#[test]
fn repeating_inactive_keeps_the_first_deadline() {
    let f = pending(NOW + time::Duration::minutes(5), Requester::Provider);
    let p = run(&f, Command::ProviderAsserts { active: false });
    assert_eq!(p.update, None);
    assert!(p.events.is_empty());
    assert_eq!(p.schedule_in_secs, None);
}

#[test]
fn provider_active_during_the_delay_cancels_the_deactivation() {
    let f = pending(NOW + time::Duration::minutes(5), Requester::Provider);
    let p = run(&f, Command::ProviderAsserts { active: true });
    let u = update(&p);
    assert_eq!(u.state, UserState::Active);
    assert_eq!(u.due, DueChange::Clear);
    assert!(p.cancel_job);
    assert_eq!(
        p.events,
        vec![Event::DeactivationCancelled, Event::Reactivated]
    );
}

#[test]
fn provider_active_reactivates_a_deactivated_user() {
    let p = run(
        &facts(UserState::Deactivated),
        Command::ProviderAsserts { active: true },
    );
    assert_eq!(update(&p).state, UserState::Active);
    assert_eq!(p.events, vec![Event::Reactivated]);
}

#[test]
fn an_admin_unblock_is_an_override_the_providers_next_change_clears() {
    let f = pending(NOW + time::Duration::minutes(5), Requester::Provider);
    let unblock = run(&f, Command::AdminUnblock);
    let u = update(&unblock);
    assert_eq!(u.state, UserState::Active);
    assert!(u.admin_override);
    assert!(unblock.cancel_job);
    assert_eq!(
        unblock.events,
        vec![Event::DeactivationCancelled, Event::Unblocked]
    );

    let after = LifecycleRecord {
        state: UserState::Active,
        admin_override: true,
        ..LifecycleRecord::default()
    };
    // The provider still says inactive: its next change blocks again and reschedules.
    let next = run(&after, Command::ProviderAsserts { active: false });
    let u = update(&next);
    assert!(!u.admin_override);
    assert_eq!(u.state, UserState::Blocked);
    assert_eq!(next.schedule_in_secs, Some(DELAY));
}

#[test]
fn delete_blocks_and_revive_cancels() {
    let deleted = run(&facts(UserState::Active), Command::ProviderDeletes);
    assert!(update(&deleted).deleted_by_provider);
    assert_eq!(
        deleted.events,
        vec![Event::Deleted, Event::Blocked, Event::DeactivationScheduled]
    );

    let f = LifecycleRecord {
        deleted_by_provider: true,
        ..pending(NOW + time::Duration::minutes(5), Requester::Provider)
    };
    let revived = run(&f, Command::ProviderRevives { active: true });
    let u = update(&revived);
    assert!(!u.deleted_by_provider);
    assert_eq!(u.state, UserState::Active);
    assert_eq!(
        revived.events,
        vec![
            Event::Revived,
            Event::DeactivationCancelled,
            Event::Reactivated
        ]
    );
}

#[test]
fn a_held_user_whose_deactivation_comes_due_is_blocked_and_waits() {
    let f = LifecycleRecord {
        legal_hold: true,
        ..pending(NOW - time::Duration::seconds(1), Requester::Provider)
    };
    let due = run(&f, Command::DeactivationDue);
    assert_eq!(
        due.update, None,
        "the user stays blocked with its deactivation waiting"
    );
    assert_eq!(due.events, vec![Event::DeactivationHeld]);

    let release = run(&f, Command::ReleaseLegalHold { now: NOW });
    let u = update(&release);
    assert!(!u.legal_hold);
    assert_eq!(u.state, UserState::Deactivated);
    assert_eq!(
        release.events,
        vec![Event::LegalHoldReleased, Event::Deactivated]
    );
}

#[test]
fn releasing_a_hold_with_nothing_waiting_changes_only_the_hold() {
    let active = LifecycleRecord {
        legal_hold: true,
        ..facts(UserState::Active)
    };
    let p = run(&active, Command::ReleaseLegalHold { now: NOW });
    assert_eq!(update(&p).state, UserState::Active);
    assert_eq!(p.events, vec![Event::LegalHoldReleased]);

    // Scheduled but not yet due: the job deactivates it later, not the release.
    let scheduled = LifecycleRecord {
        legal_hold: true,
        ..pending(NOW + time::Duration::minutes(5), Requester::Provider)
    };
    let p = run(&scheduled, Command::ReleaseLegalHold { now: NOW });
    assert_eq!(update(&p).state, UserState::Blocked);
    assert_eq!(update(&p).due, DueChange::Keep);
}

#[test]
fn admin_deactivation_is_immediate_except_under_legal_hold() {
    let p = run(&facts(UserState::Active), Command::AdminDeactivate);
    assert_eq!(update(&p).state, UserState::Deactivated);

    let held = LifecycleRecord {
        legal_hold: true,
        ..facts(UserState::Active)
    };
    let p = run(&held, Command::AdminDeactivate);
    let u = update(&p);
    assert_eq!(u.state, UserState::Blocked);
    assert_eq!(
        u.due,
        DueChange::In {
            secs: 0,
            by: Requester::Admin
        }
    );
    assert_eq!(p.events, vec![Event::Blocked, Event::DeactivationHeld]);
}

#[test]
fn a_due_deactivation_runs_once_and_a_stale_one_changes_nothing() {
    let f = pending(NOW - time::Duration::seconds(1), Requester::Provider);
    let p = run(&f, Command::DeactivationDue);
    assert_eq!(update(&p).state, UserState::Deactivated);
    assert!(!p.cancel_job, "the completing job must not cancel itself");
    let again = run(&facts(UserState::Deactivated), Command::DeactivationDue);
    assert_eq!(again.update, None);
    let reactivated = run(&facts(UserState::Active), Command::DeactivationDue);
    assert_eq!(reactivated.update, None);
}

#[test]
fn admin_block_and_unblock_refuse_deactivated_users() {
    for command in [Command::AdminBlock, Command::AdminUnblock] {
        assert_eq!(
            plan(&facts(UserState::Deactivated), command, DELAY),
            Err(LifecycleError::Deactivated)
        );
    }
    let p = run(&facts(UserState::Deactivated), Command::AdminReactivate);
    assert_eq!(update(&p).state, UserState::Active);
}

#[test]
fn idempotent_commands_change_nothing() {
    assert_eq!(
        run(
            &facts(UserState::Active),
            Command::ProviderAsserts { active: true }
        )
        .update,
        None
    );
    assert_eq!(
        run(&facts(UserState::Active), Command::AdminUnblock).update,
        None
    );
    assert_eq!(
        run(
            &facts(UserState::Active),
            Command::ReleaseLegalHold { now: NOW }
        )
        .update,
        None
    );
    assert_eq!(
        run(&facts(UserState::Deactivated), Command::AdminDeactivate).update,
        None
    );
}

#[test]
fn delays_parse_to_the_second_within_ninety_days() {
    assert_eq!(parse_delay("0"), Ok(0));
    assert_eq!(parse_delay("30s"), Ok(30));
    assert_eq!(parse_delay("15m"), Ok(900));
    assert_eq!(parse_delay("2h"), Ok(7200));
    assert_eq!(parse_delay("90d"), Ok(MAX_DELAY_SECS));
    for bad in [
        "91d",
        "7776001s",
        "15",
        "-1s",
        "1.5h",
        "15 m",
        "m",
        "",
        "99999999999999999999d",
    ] {
        assert!(parse_delay(bad).is_err(), "{bad} must be refused");
    }
    assert!(check_delay(-1).is_err());
    assert!(check_delay(MAX_DELAY_SECS + 1).is_err());
}
