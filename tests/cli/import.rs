//! `whatif import`: docker-compose files and Backstage catalogs become
//! models that pass `check`, keep every service and say what to fill in.

use std::path::Path;

use whatif::model::load::{parse_yaml, parse_yaml_documents};

use crate::support::*;

const COMPOSE: &str = "tests/fixtures/import/docker-compose.yml";
const CATALOG: &str = "tests/fixtures/import/catalog-info.yaml";
const HOSTILE: &str = "tests/fixtures/import/hostile-names.yml";

/// argv, exit code, stdout and stderr together, for a snapshot.
fn transcript(args: &[&str]) -> String {
    Whatif::new().args(args).run().no_panic().transcript()
}

#[test]
fn compose_import_snapshot() {
    insta::assert_snapshot!(transcript(&["import", COMPOSE]));
}

#[test]
fn backstage_import_snapshot() {
    insta::assert_snapshot!(transcript(&["import", CATALOG]));
}

#[test]
fn hostile_names_import_snapshot() {
    insta::assert_snapshot!(transcript(&["import", HOSTILE]));
}

/// The services a fixture defines, as written there: compose services, or
/// Backstage components and resources (namespace and kind, for names that
/// the import may have to qualify).
fn services_in(fixture: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path(fixture)).unwrap();
    if fixture.ends_with(".yml") {
        let doc: serde_json::Value = parse_yaml(&text).expect("fixture parses");
        let services = doc["services"].as_object().expect("services");
        return services.keys().map(|k| (k.clone(), k.clone())).collect();
    }
    let docs: Vec<serde_json::Value> = parse_yaml_documents(&text).expect("fixture parses");
    docs.iter()
        .filter(|d| matches!(d["kind"].as_str(), Some("Component" | "Resource")))
        .map(|d| {
            let name = d["metadata"]["name"].as_str().unwrap().to_owned();
            let ns = d["metadata"]["namespace"].as_str().unwrap_or("default");
            let kind = d["kind"].as_str().unwrap().to_lowercase();
            (name.clone(), format!("{kind}:{ns}/{name}"))
        })
        .collect()
}

#[test]
fn every_import_checks_and_keeps_every_service() {
    let scratch = temp_dir("import");
    for fixture in [COMPOSE, CATALOG, HOSTILE] {
        let model = scratch.path().join(format!(
            "{}.yaml",
            Path::new(fixture).file_stem().unwrap().to_string_lossy()
        ));
        let out = Whatif::new()
            .args(["import", fixture, "-o", model.to_str().unwrap()])
            .code(0);
        assert!(stdout(&out).is_empty(), "-o writes nothing to stdout");
        Whatif::new()
            .args(["check", model.to_str().unwrap()])
            .code(0);
        Whatif::new()
            .args(["spof", model.to_str().unwrap()])
            .code(0);

        let loaded = whatif::model::load_file(&model).expect("the import loads");
        let names: Vec<&str> = loaded
            .model
            .services()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        for (name, full) in services_in(fixture) {
            assert!(
                names.contains(&name.as_str()) || names.contains(&full.as_str()),
                "{fixture}: `{name}` is missing from {names:?}"
            );
        }
    }
}

#[test]
fn output_is_deterministic_and_the_same_with_or_without_o() {
    let scratch = temp_dir("import");
    for fixture in [COMPOSE, CATALOG, HOSTILE] {
        let first = Whatif::new().args(["import", fixture]).run();
        let second = Whatif::new().args(["import", fixture]).run();
        assert_eq!(first.stdout, second.stdout, "{fixture}");
        assert_eq!(first.stderr, second.stderr, "{fixture}");
        let file = scratch.path().join("same.yaml");
        Whatif::new()
            .args(["import", fixture, "-o", file.to_str().unwrap()])
            .code(0);
        assert_eq!(std::fs::read(&file).unwrap(), first.stdout, "{fixture}");
    }
}

#[test]
fn compose_relations_guesses_and_cycles() {
    let out = Whatif::new().args(["import", COMPOSE]).run();
    let yaml = stdout(&out);
    let notes = stderr(&out);
    // List and map depends_on, links, startup jobs, optional dependencies.
    assert!(
        yaml.contains("      - storefront                      # from depends_on\n"),
        "{yaml}"
    );
    assert!(yaml.contains("{ to: migrate, phase: startup }"), "{yaml}");
    assert!(yaml.contains("{ to: cache, criticality: soft }"), "{yaml}");
    assert!(
        yaml.contains("- db                              # from links"),
        "{yaml}"
    );
    // Host names in environment values are guesses, each with its variable.
    assert!(
        yaml.contains("- api                             # guessed from environment PRICING_URL"),
        "{yaml}"
    );
    assert!(
        yaml.contains("# guessed from environment CART_STORE"),
        "${{CART_STORE_HOST:-cache}} resolves to cache: {yaml}"
    );
    assert!(
        !yaml.contains("SERVICE_NAME"),
        "its own name is not a dependency"
    );
    // Kinds, replicas, entry points.
    assert!(
        yaml.contains(
            "kind: database                      # guessed from image postgres:16-alpine"
        )
    );
    assert!(yaml.contains("replicas: 3                         # from deploy.replicas"));
    assert!(yaml.contains("replicas: 2                         # from scale"));
    assert_eq!(
        yaml.matches("entry: { rps: 100 }").count(),
        1,
        "only proxy: {yaml}"
    );
    // The cycle is kept, listed in the header and in the notes.
    assert!(yaml.contains("#   api → cart → api\n"), "{yaml}");
    assert!(
        notes.contains("note: kept the dependency cycle `api` → `cart` → `api`"),
        "{notes}"
    );
    assert!(notes.contains("`mailer` has an `env_file`"), "{notes}");
    assert!(notes.contains("(5 guessed)"), "{notes}");
}

#[test]
fn backstage_relations_placeholders_and_names() {
    let out = Whatif::new().args(["import", CATALOG]).run();
    let yaml = stdout(&out);
    let notes = stderr(&out);
    // consumesApis → the provider, across namespaces.
    assert!(
        yaml.contains(
            "- payments                        # from consumesApis api:payments/payments-api"
        ),
        "{yaml}"
    );
    // dependencyOf turns around.
    assert!(
        yaml.contains("- orders-db                       # from dependencyOf on orders-db"),
        "{yaml}"
    );
    // A component and a resource named alike keep apart by full reference.
    assert!(yaml.contains("\"component:default/search\":"), "{yaml}");
    assert!(yaml.contains("\"resource:default/search\":"), "{yaml}");
    // Things the catalog does not hold become placeholders, with notes.
    assert!(yaml.contains("  mail-relay:"), "{yaml}");
    assert!(yaml.contains("  stripe-api:"), "{yaml}");
    assert!(
        notes.contains("resource `mail-relay` is not in this catalog"),
        "{notes}"
    );
    assert!(
        notes.contains("no component in this catalog provides API `stripe-api`"),
        "{notes}"
    );
    assert!(
        notes.contains(
            "skipped entities that are not services: 1 Domain, 1 Group, 1 User, 1 Location"
        ),
        "{notes}"
    );
    assert!(
        notes.contains("kept the dependency cycle `orders` → `payments` → `orders`"),
        "{notes}"
    );
    // Websites are the entry points; the system names the model.
    assert!(yaml.contains("kind: frontend                      # from type website"));
    assert!(yaml.contains("\nname: shop\n"));
}

#[test]
fn unknown_input_is_exit_2_with_a_hint() {
    let scratch = temp_dir("import");
    let k8s = scratch.path().join("deployment.yaml");
    std::fs::write(
        &k8s,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\n",
    )
    .unwrap();
    let out = Whatif::new()
        .args(["import", k8s.to_str().unwrap()])
        .code(2);
    let err = stderr(&out);
    assert!(
        err.contains("error[E040]: cannot import documents with `apiVersion: apps/v1`"),
        "{err}"
    );
    assert!(
        err.contains("hint: whatif imports a docker-compose file"),
        "{err}"
    );

    Whatif::new()
        .args(["import", "examples/three-tier.yaml"])
        .code(2)
        .stderr_contains("already a whatif model");

    let empty = scratch.path().join("empty-compose.yml");
    std::fs::write(&empty, "version: \"3.8\"\nservices: {}\n").unwrap();
    Whatif::new()
        .args(["import", empty.to_str().unwrap()])
        .code(2)
        .stderr_contains("error[E041]: the compose file defines no services");

    Whatif::new()
        .args(["import", "no/such/compose.yml"])
        .code(2)
        .stderr_contains("no/such/compose.yml")
        .no_panic();
}

#[test]
fn malformed_relations_point_at_their_line() {
    let scratch = temp_dir("import");
    let bad = scratch.path().join("bad-compose.yml");
    std::fs::write(
        &bad,
        "services:\n  web:\n    image: nginx\n    depends_on: 5\n",
    )
    .unwrap();
    let out = Whatif::new()
        .args(["import", bad.to_str().unwrap()])
        .code(2);
    let err = stderr(&out);
    assert!(
        err.contains("error[E004]: `depends_on` is a number, expected a list or a map"),
        "{err}"
    );
    assert!(err.contains(":4:17"), "{err}");

    let bad = scratch.path().join("bad-catalog.yaml");
    std::fs::write(
        &bad,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: web }\nspec:\n  dependsOn: component:db\n",
    )
    .unwrap();
    let out = Whatif::new()
        .args(["import", bad.to_str().unwrap()])
        .code(2);
    let err = stderr(&out);
    assert!(
        err.contains("error[E004]: `dependsOn` of `web` is text"),
        "{err}"
    );
    assert!(err.contains(":5:14"), "{err}");
}

#[test]
fn hostile_files_are_refused_by_the_loader_guards() {
    let scratch = temp_dir("import");
    let mut text = String::from("x: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("x{i}: &a{i} [{refs}]\n"));
    }
    text.push_str("services: { web: { image: nginx } }\n");
    let bomb = scratch.path().join("bomb.yml");
    std::fs::write(&bomb, text).unwrap();
    Whatif::new()
        .args(["import", bomb.to_str().unwrap()])
        .code(2)
        .no_panic();

    let tabs = scratch.path().join("tabs.yml");
    std::fs::write(&tabs, "services:\n\tweb: {}\n").unwrap();
    Whatif::new()
        .args(["import", tabs.to_str().unwrap()])
        .code(2)
        .stderr_contains("E008");
}

/// Issue 13: the importer's hint on a queue dependency and the guide
/// recommend one way to model a consumer — the broker hands work to it
/// over an `async` edge — and that way, followed, gives the consumer the
/// broker's traffic (a consumer modelled as depending on its broker would
/// get none).
#[test]
fn the_queue_hint_is_the_guides_one_way_and_gives_the_consumer_its_load() {
    let model = Whatif::new().args(["import", COMPOSE]).code(0).stdout();
    let hint = model
        .lines()
        .find(|l| l.contains("guessed from environment QUEUE"))
        .expect("mailer's dependency on its broker");
    assert!(
        hint.contains("delete this line and add `{ to: mailer, mode: async }` under rabbitmq"),
        "{hint}"
    );
    assert!(!model.contains("phase: background"), "{model}");

    let followed = "\
name: followed
services:
  api: { entry: { rps: 100 }, depends_on: [broker] }
  broker: { kind: queue, depends_on: [{ to: worker, mode: async }] }
  worker: {}
";
    let out = Whatif::new()
        .args(["run", "-", "--format", "json"])
        .stdin(followed)
        .code(0)
        .json();
    let worker = out["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "worker")
        .unwrap();
    assert_eq!(worker["load_rps"], 100.0, "{worker}");
}

/// Compose files and Backstage catalogs written from well-known public
/// projects (each file's header names its source).
const REAL_WORLD: &str = "tests/fixtures/import/real-world";

/// `whatif import FILE`: the model and the notes.
fn imported(file: &str) -> (String, String) {
    let out = Whatif::new().args(["import", file]).code(0);
    (stdout(&out), stderr(&out))
}

/// The YAML lines of one service in an imported model, up to the next.
fn service_block(yaml: &str, name: &str) -> String {
    let starts_service = |l: &str| l.starts_with("  ") && !l.starts_with("   ");
    let mut lines = yaml
        .lines()
        .skip_while(|l| !l.starts_with(&format!("  {name}:")));
    let first = lines.next().unwrap_or_default();
    std::iter::once(first)
        .chain(lines.take_while(|l| !starts_service(l)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The entry points of an imported model, in model order.
fn entry_points(yaml: &str) -> Vec<String> {
    let model = whatif::model::load_str(yaml, "imported.yaml").expect("checks");
    model
        .model
        .entry_points()
        .map(|id| model.model.service(id).name.clone())
        .collect()
}

/// The kind the import wrote for a service, if any.
fn kind_of(yaml: &str, name: &str) -> Option<String> {
    let model = whatif::model::load_str(yaml, "imported.yaml").expect("checks");
    let id = model.model.find(name).expect("service kept");
    let kind = model.model.service(id).kind.as_str();
    (kind != "service").then(|| kind.to_owned())
}

#[test]
fn real_world_imports_check_and_keep_every_service() {
    let scratch = temp_dir("import");
    let files = yaml_files(&path(REAL_WORLD));
    let compose = files
        .iter()
        .filter(|f| f.to_string_lossy().ends_with(".yml"))
        .count();
    assert!(compose >= 5 && files.len() - compose >= 2, "{files:?}");
    for file in &files {
        let fixture = file.strip_prefix(root()).unwrap().to_str().unwrap();
        let model = scratch.path().join(format!(
            "real-{}.yaml",
            file.file_stem().unwrap().to_string_lossy()
        ));
        Whatif::new()
            .args(["import", fixture, "-o", model.to_str().unwrap()])
            .code(0);
        Whatif::new()
            .args(["check", model.to_str().unwrap()])
            .code(0);
        Whatif::new()
            .args(["review", model.to_str().unwrap()])
            .code(0);
        let loaded = whatif::model::load_file(&model).expect("the import loads");
        let names: Vec<&str> = loaded
            .model
            .services()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        for (name, full) in services_in(fixture) {
            assert!(
                names.contains(&name.as_str()) || names.contains(&full.as_str()),
                "{fixture}: `{name}` is missing from {names:?}"
            );
        }
        assert!(
            loaded.model.entry_points().next().is_some(),
            "{fixture}: no entry point"
        );
    }
}

#[test]
fn voting_app_import_snapshot() {
    insta::assert_snapshot!(transcript(&[
        "import",
        "tests/fixtures/import/real-world/compose-voting-app.yml"
    ]));
}

/// Issue 13 §6: in Docker's voting app a one-shot `seed` job (profile
/// `seed`, `restart: "no"`) depends on `vote`, which then was not made an
/// entry point. One-shot jobs are not callers, and every guess about entry
/// points is noted.
#[test]
fn one_shot_jobs_are_not_callers_and_entry_guesses_are_noted() {
    let (yaml, notes) = imported("tests/fixtures/import/real-world/compose-voting-app.yml");
    assert_eq!(entry_points(&yaml), ["vote", "result"]);
    for needle in [
        "guessed `vote` is an entry point (publishes ports, no long-running service depends on it; `seed` depends on it but only runs once or stands in for users)",
        "guessed `result` is an entry point",
        "`seed` is a one-shot job (restart: no; profiles seed): not an entry point, and not counted as a caller of `vote`",
        "`worker` publishes no ports and nothing depends on it: not guessed an entry point",
    ] {
        assert!(notes.contains(needle), "{needle}\n{notes}");
    }
    // The seed job keeps its stated dependency, marked as off the users' path.
    assert!(
        service_block(&yaml, "seed").contains("guessed: a one-shot job"),
        "{yaml}"
    );
    // A service another waits on to complete is a one-shot job too.
    let (yaml, notes) = imported(COMPOSE);
    assert!(
        notes.contains("`migrate` is a one-shot job (`api` waits for it to complete)"),
        "{notes}"
    );
    assert!(!entry_points(&yaml).contains(&"migrate".to_owned()));
    // Operations tools and load generators publish ports but are not entries,
    // and a load generator's calls do not hide the real entry point.
    let (yaml, notes) = imported("tests/fixtures/import/real-world/compose-otel-demo.yml");
    assert_eq!(entry_points(&yaml), ["frontend-proxy"]);
    assert!(
        notes.contains("`grafana` publishes ports but runs an operations tool (grafana)"),
        "{notes}"
    );
    assert!(
        notes.contains("`load-generator` looks like a load generator"),
        "{notes}"
    );
    let (yaml, _) =
        imported("tests/fixtures/import/real-world/compose-petclinic-microservices.yml");
    let entries = entry_points(&yaml);
    assert!(entries.contains(&"api-gateway".to_owned()), "{entries:?}");
    for tool in [
        "tracing-server",
        "admin-server",
        "grafana-server",
        "prometheus-server",
    ] {
        assert!(!entries.contains(&tool.to_owned()), "{tool} in {entries:?}");
    }
}

/// Issue 13 §6: Sock Shop imported as 15 services and 1 dependency and
/// passed `check --strict` without a word. The import now warns, on
/// standard error and in the model's header, that no entry point reaches
/// most services and that the file states few links.
#[test]
fn a_model_with_few_links_is_warned_about() {
    let file = "tests/fixtures/import/real-world/compose-sock-shop.yml";
    let (yaml, notes) = imported(file);
    assert!(
        notes.contains(
            "warning: no entry point reaches 13 of 15 services: `front-end`, `catalogue`"
        ),
        "{notes}"
    );
    assert!(
        notes.contains("warning: the docker-compose file states few links: 8 of the 9 services that are not databases, caches or queues depend on nothing and nothing depends on them"),
        "{notes}"
    );
    assert!(
        notes.contains("add `depends_on`, or check the environment variables"),
        "{notes}"
    );
    assert!(
        yaml.contains("# WARNING: the docker-compose file states few links"),
        "{yaml}"
    );
    assert!(
        notes.contains("imported 15 services and 1 dependency"),
        "{notes}"
    );
    // A well-linked input gets neither warning.
    let (_, notes) = imported("tests/fixtures/import/real-world/catalog-online-boutique.yaml");
    assert!(!notes.contains("warning:"), "{notes}");
    // Services no entry point reaches in other projects are named.
    let (_, notes) = imported("tests/fixtures/import/real-world/compose-robot-shop.yml");
    assert!(
        notes.contains(
            "warning: no entry point reaches 3 of 12 services: `cart`, `ratings`, `dispatch`"
        ),
        "{notes}"
    );
}

/// Issue 13 §6: `queue-master` was a queue because of its name. Kinds come
/// from the image first, and a generic word decides only as a name's head.
#[test]
fn kinds_come_from_images_first() {
    let (yaml, _) = imported("tests/fixtures/import/real-world/compose-sock-shop.yml");
    assert_eq!(kind_of(&yaml, "queue-master"), None);
    assert_eq!(kind_of(&yaml, "rabbitmq").as_deref(), Some("queue"));
    assert_eq!(kind_of(&yaml, "carts-db").as_deref(), Some("database"));
    assert_eq!(kind_of(&yaml, "user-db").as_deref(), Some("database"));
    assert!(
        service_block(&yaml, "carts-db").contains("guessed from image mongo:3.4"),
        "{yaml}"
    );
    let (yaml, _) = imported("tests/fixtures/import/real-world/compose-robot-shop.yml");
    assert_eq!(kind_of(&yaml, "mongodb").as_deref(), Some("database"));
    assert_eq!(kind_of(&yaml, "mysql").as_deref(), Some("database"));
    assert_eq!(kind_of(&yaml, "redis").as_deref(), Some("cache"));
    assert_eq!(kind_of(&yaml, "web"), None);
    let (yaml, _) = imported("tests/fixtures/import/real-world/compose-otel-demo.yml");
    assert_eq!(kind_of(&yaml, "valkey-cart").as_deref(), Some("cache"));
    assert_eq!(kind_of(&yaml, "opensearch").as_deref(), Some("database"));
    let (yaml, _) = imported("tests/fixtures/import/real-world/catalog-backstage-demo.yaml");
    assert_eq!(kind_of(&yaml, "www-artist").as_deref(), Some("frontend"));
    assert_eq!(kind_of(&yaml, "artists-db").as_deref(), Some("database"));
    assert_eq!(entry_points(&yaml), ["www-artist"]);
    let (yaml, _) = imported("tests/fixtures/import/real-world/catalog-online-boutique.yaml");
    assert_eq!(entry_points(&yaml), ["frontend"]);
    assert_eq!(kind_of(&yaml, "redis-cart").as_deref(), Some("cache"));
    let model = whatif::model::load_str(&yaml, "b.yaml").unwrap().model;
    let checkout = model.find("checkoutservice").unwrap();
    assert_eq!(model.service(checkout).operations[0].depends_on.len(), 6);
}
