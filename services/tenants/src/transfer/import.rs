//! `roster import`: creates a tenant from a `roster-tenant-export` document.
//!
//! 1. The header must name this format and a version this build reads (1 to
//!    3), and carry this deployment's key fingerprint (else the credential
//!    digests would never match: every provider would be locked out).
//! 2. The tenant's id, slug and host names must be free. A tenant with the
//!    same id and slug still `provisioning` is what an interrupted import of
//!    this document left (a crash, a lost connection): it is replaced.
//! 3. The tenant is inserted `provisioning` and migrated; every data record
//!    (users, groups, memberships, jobs, logs…) goes into one tenant
//!    transaction as it arrives, checked one by one (order, references,
//!    duplicates); providers are held back. The jobs the migrations seeded
//!    stay only where the document brings none with the same unique key; the
//!    seeded top-level organization, builtin roles and digest settings are
//!    overwritten by the document's; a document older than version 3 gets the
//!    default roles and allowlists tenant migration 0003 gave existing data.
//! 4. Only after the `end` record's counts match and nothing follows it does
//!    the tenant transaction commit, and then one control transaction inserts
//!    the providers and sets the exported state: the tenant and its
//!    credentials appear together, or not at all. Then the job workers are
//!    told when the earliest imported job is due.
//!
//! On any refusal or failure the tenant transaction rolls back and the
//! `provisioning` tenant is deleted with its schema (or database file).

use roster_core::{Slug, TenantId};
use roster_store::{ProviderRecord, StoreError, TenantRecord, TenantState};
use time::OffsetDateTime;

use super::convert::parse_tenant_state;
use super::format::{EndCounts, FORMAT, HeaderLine, READABLE_VERSIONS, Record, TenantLine};
use super::loader::Loader;
use super::reader::RecordReader;
use super::{ChunkSource, TransferCounts};
use crate::{Tenants, TenantsError};

/// The result of a successful import.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// The imported tenant, as stored now.
    pub tenant: TenantRecord,
    /// What the document held.
    pub counts: TransferCounts,
}

/// What the tenant transaction of an import stored.
struct Loaded {
    /// The providers, for the control transaction.
    providers: Vec<ProviderRecord>,
    /// What the document held.
    counts: EndCounts,
    /// When the earliest pending job is due.
    next_due: Option<OffsetDateTime>,
}

/// The tenant a document describes, checked.
#[derive(Debug)]
struct Target {
    id: TenantId,
    slug: Slug,
    hosts: Vec<String>,
    state: TenantState,
    created_at: OffsetDateTime,
}

pub(crate) fn invalid(line: Option<u64>, problem: impl Into<String>) -> TenantsError {
    TenantsError::InvalidExport {
        line,
        problem: problem.into(),
    }
}

impl Tenants {
    /// Imports the document `source` yields (see the module documentation).
    #[tracing::instrument(skip_all)]
    pub async fn import_tenant<S: ChunkSource>(
        &self,
        source: S,
    ) -> Result<ImportSummary, TenantsError> {
        let mut reader = RecordReader::new(source);
        match reader.next().await? {
            Some((_, Record::Header(header))) => {
                self.check_header(&header)?;
                reader.version = header.version;
            }
            Some((line, other)) => {
                return Err(invalid(
                    Some(line),
                    format!(
                        "a document begins with a `header` record, not `{}`: is this a roster tenant export?",
                        other.kind()
                    ),
                ));
            }
            None => return Err(invalid(None, "the document is empty")),
        }
        let target = match reader.next().await? {
            Some((line, Record::Tenant(tenant))) => check_tenant(line, tenant)?,
            Some((line, other)) => {
                return Err(invalid(
                    Some(line),
                    format!(
                        "a `tenant` record must follow the header, not `{}`",
                        other.kind()
                    ),
                ));
            }
            None => return Err(truncated()),
        };
        self.claim(&target).await?;

        let loaded = self.load(&target, &mut reader).await;
        let finished = match loaded {
            Ok(Loaded {
                providers,
                counts,
                next_due,
            }) => self
                .store
                .finish_import(target.id, &providers, target.state)
                .await
                .map(|()| (counts, next_due))
                .map_err(|err| match err {
                    StoreError::Conflict { constraint } => {
                        TenantsError::ProviderExists { constraint }
                    }
                    other => other.into(),
                }),
            Err(err) => Err(err),
        };
        let (counts, next_due) = match finished {
            Ok(done) => done,
            Err(err) => {
                self.abandon(target.id).await;
                return Err(err);
            }
        };
        if let Some(due) = next_due {
            self.hint_imported_jobs(target.id, due).await;
        }
        let tenant = self.tenant(target.slug.as_str()).await?;
        let counts = TransferCounts::of(counts, reader.bytes);
        tracing::info!(
            tenant = %tenant.id,
            providers = counts.providers,
            users = counts.users,
            groups = counts.groups,
            memberships = counts.memberships,
            organizations = counts.organizations,
            roles = counts.roles,
            jobs = counts.jobs,
            sync_entries = counts.sync_entries,
            audit_entries = counts.audit_entries,
            "tenant imported"
        );
        Ok(ImportSummary { tenant, counts })
    }

    fn check_header(&self, header: &HeaderLine) -> Result<(), TenantsError> {
        if header.format != FORMAT {
            return Err(invalid(
                Some(1),
                format!("format {:?} is not {FORMAT:?}", header.format),
            ));
        }
        if !READABLE_VERSIONS.contains(&header.version) {
            let readable: Vec<String> = READABLE_VERSIONS.iter().map(u32::to_string).collect();
            return Err(invalid(
                Some(1),
                format!(
                    "{FORMAT} version {} is not one this build reads (versions {})",
                    header.version,
                    readable.join(", ")
                ),
            ));
        }
        let ours = self.authority.key_fingerprint();
        if header.key_fingerprint != ours {
            return Err(TenantsError::KeyMismatch {
                export: header.key_fingerprint.clone(),
                ours,
            });
        }
        Ok(())
    }

    /// Makes sure the id, slug and host names are free, and inserts the tenant `provisioning`.
    async fn claim(&self, target: &Target) -> Result<(), TenantsError> {
        if let Some(existing) = self.store.tenant_by_id(target.id).await? {
            if existing.state == TenantState::Provisioning && existing.slug == target.slug {
                tracing::info!(tenant = %target.id, "replacing what an interrupted import of this tenant left");
                self.store.delete_provisioning_tenant(target.id).await?;
            } else {
                return Err(TenantsError::TenantIdExists {
                    id: target.id.to_string(),
                    slug: existing.slug.to_string(),
                });
            }
        }
        if self
            .store
            .tenant_by_slug(target.slug.as_str())
            .await?
            .is_some()
        {
            return Err(TenantsError::TenantExists {
                slug: target.slug.to_string(),
            });
        }
        for host in &target.hosts {
            if self.store.tenant_by_host(host).await?.is_some() {
                return Err(TenantsError::HostTaken { host: host.clone() });
            }
        }
        self.store
            .insert_imported_tenant(target.id, &target.slug, &target.hosts, target.created_at)
            .await
            .map_err(|err| match err {
                // Someone took the slug or a host since the checks above.
                StoreError::Conflict { .. } => TenantsError::TenantExists {
                    slug: target.slug.to_string(),
                },
                other => other.into(),
            })
    }

    /// Migrates the tenant and stores every data record in one transaction,
    /// committed only once the whole document has been checked.
    async fn load<S: ChunkSource>(
        &self,
        target: &Target,
        reader: &mut RecordReader<S>,
    ) -> Result<Loaded, TenantsError> {
        self.store.migrate_tenant(&target.id).await?;
        let mut tx = self.store.begin(&target.id).await?;
        let mut loader = Loader::new(target.id);
        match loader.run(&mut tx, reader).await {
            Ok(counts) => {
                tx.commit().await?;
                Ok(Loaded {
                    providers: loader.providers,
                    counts,
                    next_due: loader.next_due,
                })
            }
            Err(err) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::debug!(error = %rollback, "rollback of a refused import failed; the connection discards it");
                }
                Err(err)
            }
        }
    }

    /// Tells the job workers that the imported tenant has a job due at `due` (now, when
    /// that has passed). A lost hint is repaired by the workers' sweep, so a failure is
    /// logged, not returned: the tenant is imported.
    async fn hint_imported_jobs(&self, tenant: TenantId, due: OffsetDateTime) {
        let delay = (due - OffsetDateTime::now_utc()).max(time::Duration::ZERO);
        let delay = std::time::Duration::try_from(delay).unwrap_or_default();
        if let Err(err) = self.store.note_job_due(&tenant, delay).await {
            tracing::warn!(tenant = %tenant, error = %err, "could not record the imported jobs' next-due hint; the sweep will");
        }
    }

    /// Deletes what a refused import created, if it is still `provisioning`.
    async fn abandon(&self, id: TenantId) {
        match self.store.delete_provisioning_tenant(id).await {
            Ok(true) => {
                if let Err(err) = self.store.drop_tenant_data(&id).await {
                    tracing::warn!(tenant = %id, error = %err, "could not remove a refused import's data; nothing refers to it");
                }
            }
            Ok(false) => {
                tracing::warn!(tenant = %id, "a refused import's tenant left provisioning meanwhile; it is kept");
            }
            Err(err) => {
                tracing::warn!(tenant = %id, error = %err, "could not remove a refused import's tenant; importing the same document again replaces it");
            }
        }
    }
}

pub(crate) fn truncated() -> TenantsError {
    invalid(
        None,
        "the document is truncated: it ends before its `end` record",
    )
}

fn check_tenant(line: u64, tenant: TenantLine) -> Result<Target, TenantsError> {
    let slug =
        Slug::parse(&tenant.slug).map_err(|err| invalid(Some(line), format!("slug: {err}")))?;
    let state = parse_tenant_state(&tenant.state).ok_or_else(|| {
        invalid(
            Some(line),
            format!("state {:?} is not active or suspended", tenant.state),
        )
    })?;
    let hosts = crate::tenants::normalize_hosts(&tenant.hosts)
        .map_err(|err| invalid(Some(line), err.to_string()))?;
    Ok(Target {
        id: tenant.id,
        slug,
        hosts,
        state,
        created_at: tenant.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_records_are_checked() {
        let good = TenantLine {
            id: TenantId::generate(),
            slug: "acme".to_owned(),
            state: "suspended".to_owned(),
            hosts: vec!["SCIM.Acme.example".to_owned()],
            created_at: OffsetDateTime::now_utc(),
        };
        let target = check_tenant(2, good.clone()).unwrap();
        assert_eq!(target.state, TenantState::Suspended);
        assert_eq!(target.hosts, vec!["scim.acme.example".to_owned()]);

        let mut bad = good.clone();
        bad.slug = "Not A Slug".to_owned();
        assert!(
            check_tenant(2, bad)
                .unwrap_err()
                .to_string()
                .contains("line 2")
        );
        let mut bad = good.clone();
        bad.state = "provisioning".to_owned();
        assert!(check_tenant(2, bad).is_err());
        let mut bad = good;
        bad.hosts = vec!["bad host".to_owned()];
        assert!(check_tenant(2, bad).is_err());
    }
}
