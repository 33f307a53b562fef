//! Environments through `xcs validate`: every environment is checked, `--env` picks one.

use crate::snapshot;
use crate::support::{Xcs, copy_dir, project_dir};

fn fixture() -> Xcs {
    let repo = Xcs::new();
    copy_dir(
        &project_dir().join("tests/fixtures/review"),
        &repo.root().join("decl"),
    );
    repo
}

#[test]
fn the_fixture_and_its_environments_are_clean() {
    fixture()
        .args(["validate", "decl", "--deny-warnings"])
        .run()
        .code(0)
        .stdout_has("no problems");
    fixture()
        .args(["validate", "decl", "--env", "dev"])
        .run()
        .code(0)
        .stdout_has("decl (environment dev): 4 files, 9 documents: no problems");
}

#[test]
fn environment_problems_point_at_the_environment() {
    let repo = fixture().file(
        "decl/environments/staging.yaml",
        "kind: Environment\nname: staging\nxnat: {url-variable: 9XNAT}\nonly:\n  commands: [convert, nope]\n  projects: [NEURO]\noverrides:\n  commands:\n    convert: {image: example/convert, reserve-memory: 4096}\n  registries:\n    lab: {url: ftp://mirror.example.org}\n",
    );
    let run = repo.exec(["validate", "decl"]).code(1);
    snapshot!("environment_problems", run.stdout);
    // `--env` checks that environment only; another's problems are not its own.
    repo.exec(["validate", "decl", "--env", "production"])
        .code(1)
        .stdout_lacks("XCS402")
        .stdout_has("XCS401");
    repo.exec(["validate", "decl", "--env", "qa"])
        .code(2)
        .stderr_has("no environment `qa`");
}

#[test]
fn dropping_a_command_another_needs_is_caught() {
    // `dev` keeps only `qc`, which needs the setup command `fetch` that `dev` leaves out.
    let repo = fixture()
        .file(
            "decl/commands/setup.yaml",
            "kind: Command\nname: fetch\nversion: \"1\"\ntype: docker-setup\nimage: example/fetch:1\ncommand-line: fetch\n",
        )
        .file(
            "decl/environments/dev.yaml",
            "kind: Environment\nname: dev\nonly:\n  commands: [qc]\n",
        );
    let qc = std::fs::read_to_string(repo.root().join("decl/commands.yaml")).expect("fixture");
    let repo = repo.file(
        "decl/commands.yaml",
        qc.replace(
            "{name: session, type: Session, provides-files-for-command-mount: in}",
            "{name: session, type: Session, provides-files-for-command-mount: in, via-setup-command: \"example/fetch:1\"}",
        ),
    );
    repo.args(["validate", "decl", "--format", "json"])
        .run()
        .code(0)
        .stdout_has("XCS405")
        .stdout_has("with environment `dev`: no command in this repo matches `example/fetch:1`");
}
