//! Reading a `service` or `service.operation` name (docs/model.md,
//! "Operations"): the one resolver that dependencies, scenario expectations
//! and `diagnose --symptom` share.

use super::types::{Model, NameIndex, Service, ServiceId, Target};

/// What a written name resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// One reading: a service, or one operation of a service.
    Found(Target),
    /// More than one reading: the service of that name (when there is
    /// one) and each operation it could name.
    Ambiguous {
        /// The service whose name is the whole text.
        service: Option<ServiceId>,
        /// Each `svc.op` split naming an operation that exists.
        operations: Vec<Target>,
    },
    /// `svc.op` where `svc` is a service (the longest such prefix) that has
    /// no operation `op`.
    UnknownOperation {
        /// The service.
        service: ServiceId,
        /// The operation as written.
        operation: String,
    },
    /// Neither a service nor an operation of one.
    Unknown,
}

impl Model {
    /// `a.b` is the service `a.b` if one exists, else operation `b` of
    /// service `a`; both (or two splits) is ambiguous.
    pub fn resolve(&self, written: &str) -> Resolved {
        resolve(&self.by_name, self.services(), written)
    }
}

/// [`Model::resolve`] over the parts of a model still being built.
pub(crate) fn resolve(names: &NameIndex, services: &[Service], written: &str) -> Resolved {
    let as_service = names.get(written).copied();
    // Every split `svc.op` where `svc` is a service that has operation `op`.
    let mut operations = Vec::new();
    let mut longest_prefix: Option<(ServiceId, &str)> = None;
    for (i, _) in written.match_indices('.') {
        let (svc, op) = (&written[..i], &written[i + 1..]);
        if let Some(&service) = names.get(svc) {
            longest_prefix = Some((service, op));
            let found = services[service.index()]
                .operations
                .iter()
                .position(|o| o.name == op);
            if let Some(oi) = found {
                operations.push(Target {
                    service,
                    operation: Some(oi),
                });
            }
        }
    }
    match (as_service, operations.as_slice()) {
        (Some(service), []) => Resolved::Found(Target {
            service,
            operation: None,
        }),
        (None, [one]) => Resolved::Found(*one),
        (None, []) => match longest_prefix {
            Some((service, op)) => Resolved::UnknownOperation {
                service,
                operation: op.to_owned(),
            },
            None => Resolved::Unknown,
        },
        (service, _) => Resolved::Ambiguous {
            service,
            operations,
        },
    }
}

/// The readings of an ambiguous name, for its message: "the service
/// `a.b`", "operation `b` of service `a`", each name passed through `show`
/// (which may shorten it).
pub fn readings(
    services: &[Service],
    written: &str,
    service: Option<ServiceId>,
    operations: &[Target],
    show: impl Fn(&str) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    if service.is_some() {
        out.push(format!("the service `{}`", show(written)));
    }
    for t in operations {
        let svc = &services[t.service.index()];
        let op = &svc.operations[t.operation.unwrap_or(0)].name;
        out.push(format!(
            "operation `{}` of service `{}`",
            show(op),
            show(&svc.name)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    #[test]
    fn a_dotted_name_reads_as_a_service_or_an_operation() {
        let m = load_str(
            "services:\n  web: { entry: { rps: 1 }, depends_on: [a] }\n  a: { operations: { b: {}, c: {} } }\n  a.c: {}\n",
            "t.yaml",
        )
        .unwrap()
        .model;
        let a = m.find("a").unwrap();
        assert_eq!(
            m.resolve("a"),
            Resolved::Found(Target {
                service: a,
                operation: None
            })
        );
        assert_eq!(
            m.resolve("a.b"),
            Resolved::Found(Target {
                service: a,
                operation: Some(0)
            })
        );
        let Resolved::Ambiguous {
            service,
            operations,
        } = m.resolve("a.c")
        else {
            panic!("a.c is a service and an operation")
        };
        assert_eq!(
            readings(m.services(), "a.c", service, &operations, str::to_owned),
            ["the service `a.c`", "operation `c` of service `a`"]
        );
        assert_eq!(
            m.resolve("a.d"),
            Resolved::UnknownOperation {
                service: a,
                operation: "d".into()
            }
        );
        assert_eq!(m.resolve("z"), Resolved::Unknown);
    }
}
