//! Value-path targets of PATCH (`emails[type eq "work"].value`, RFC 7644 §3.5.2), including
//! the upsert Entra relies on when nothing matches.

use serde_json::{Map, Value};

use super::{
    PatchOpKind, array_slot, container, demote_other_primaries, is_discarded, is_read_only, locate,
    merge_into, remove_sub, set_sub,
};
use crate::error::ScimError;
use crate::filter::{self, AttrPath, CompareOp, Filter};
use crate::schema::{AttrType, AttributeDef, Mutability, ResourceKind};

pub(super) struct ValueTarget<'a> {
    pub(super) path: &'a AttrPath,
    pub(super) filter: &'a Filter,
    pub(super) sub_attr: Option<&'a str>,
}

pub(super) fn apply_value_path(
    kind: ResourceKind,
    res: &mut Map<String, Value>,
    op: PatchOpKind,
    target: &ValueTarget<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let at = locate(kind, target.path, target.sub_attr)?;
    let path = target.path;
    if !at.def.multi_valued || at.def.attr_type != AttrType::Complex {
        return Err(ScimError::invalid_path(format!(
            "'{path}' is not a multi-valued complex attribute"
        )));
    }
    if is_read_only(&at) {
        return Err(ScimError::mutability(format!(
            "attribute '{path}' is read-only"
        )));
    }
    if at.sub.is_some_and(is_discarded) {
        return Ok(());
    }
    let def = at.def;
    let case_exact = |p: &AttrPath| def.sub_attribute(&p.name).is_some_and(|s| s.case_exact);
    let holder = container(res, at.ext);
    let items = array_slot(holder, def.name);
    let hits: Vec<usize> = (0..items.len())
        .filter(|&i| filter::matches_with(target.filter, &items[i], &case_exact))
        .collect();
    let value = value.filter(|v| !v.is_null());
    let Some(value) = value.filter(|_| op != PatchOpKind::Remove) else {
        match at.sub {
            Some(sub) => hits
                .iter()
                .for_each(|&i| remove_sub(&mut items[i], sub.name)),
            None => {
                let mut index = 0;
                items.retain(|_| {
                    index += 1;
                    !hits.contains(&(index - 1))
                });
            }
        }
        return Ok(());
    };
    let hits = if hits.is_empty() {
        let Some(element) = element_from_filter(def, target.filter)? else {
            return Err(ScimError::no_target(format!(
                "no value of '{path}' matches the filter"
            )));
        };
        items.push(element);
        vec![items.len() - 1]
    } else {
        hits
    };
    for &i in &hits {
        match at.sub {
            Some(sub) => {
                if sub.mutability == Mutability::Immutable && items[i].get(sub.name) != Some(value)
                {
                    return Err(ScimError::mutability(format!(
                        "attribute '{path}.{}' is immutable",
                        sub.name
                    )));
                }
                set_sub(&mut items[i], sub.name, value.clone());
            }
            None if op == PatchOpKind::Replace => {
                // RFC 7644 §3.5.2.3: all matching values are replaced.
                let mut element = Value::Object(Map::new());
                merge_into(def, &mut element, value)?;
                items[i] = element;
            }
            None => merge_into(def, &mut items[i], value)?,
        }
    }
    demote_other_primaries(items, &hits);
    Ok(())
}

/// Returns the element an `eq`-only filter describes (`type eq "work"`,
/// `type eq "work" and primary eq true`), or `None` for any other filter.
fn element_from_filter(def: &AttributeDef, filter: &Filter) -> Result<Option<Value>, ScimError> {
    let mut element = Value::Object(Map::new());
    let mut stack = vec![filter];
    while let Some(f) = stack.pop() {
        match f {
            Filter::And(a, b) => stack.extend([a.as_ref(), b.as_ref()]),
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                value,
            } if path.urn.is_none() && path.sub_attr.is_none() && !value.is_null() => {
                let Some(sub) = def.sub_attribute(&path.name) else {
                    return Err(ScimError::invalid_filter(format!(
                        "unknown sub-attribute '{}.{}' in filter",
                        def.name, path.name
                    )));
                };
                set_sub(&mut element, sub.name, value.clone());
            }
            _ => return Ok(None),
        }
    }
    Ok(Some(element))
}
