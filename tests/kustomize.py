"""Renders the kustomizations under deploy/k8s without the kustomize binary.

No registry these machines reach ships kustomize, so the tests render the overlays here. Only
what deploy/k8s uses is supported (a kustomization using anything else fails to render, it is
not passed over): ``resources`` (files and folders), ``namespace``, ``labels`` (without
selectors), ``images``, ``replicas``, ``secretGenerator`` from files with a fixed name, and
``patches`` as inline JSON 6902 operations aimed by kind and name. For these fields its
output is the same set of resources as kustomize 5.5's (compared by kind and name when the
overlays were written); only the order of the documents differs.
"""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import jsonpatch
import yaml

Resource = dict[str, Any]

SUPPORTED = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "images",
    "replicas",
    "secretGenerator",
    "patches",
}
# Kinds without a namespace among those deploy/k8s uses.
CLUSTER_SCOPED = {"Namespace"}


class UnsupportedKustomization(ValueError):
    """The kustomization uses a field this renderer does not implement."""


def load_documents(path: Path) -> list[Resource]:
    with path.open(encoding="utf-8") as stream:
        return [doc for doc in yaml.safe_load_all(stream) if doc is not None]


def render(folder: Path) -> list[Resource]:
    """The resources ``kubectl kustomize folder`` would print (in file order, not its sort)."""
    kustomization = load_documents(folder / "kustomization.yaml")[0]
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise UnsupportedKustomization(f"{folder}: {sorted(unknown)}")
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = (folder / entry).resolve()
        resources += render(path) if path.is_dir() else load_documents(path)
    resources += [_secret(folder, spec) for spec in kustomization.get("secretGenerator", [])]
    for patch in kustomization.get("patches", []):
        _patch(resources, patch)
    for label in kustomization.get("labels", []):
        if label.get("includeSelectors") or label.get("includeTemplates"):
            raise UnsupportedKustomization(f"{folder}: labels beyond metadata")
        for resource in resources:
            resource["metadata"].setdefault("labels", {}).update(label["pairs"])
    for image in kustomization.get("images", []):
        _set_image(resources, image)
    for replicas in kustomization.get("replicas", []):
        _named(resources, "Deployment", replicas["name"])["spec"]["replicas"] = replicas["count"]
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources


def _secret(folder: Path, spec: Resource) -> Resource:
    unknown = set(spec) - {"name", "files", "options"}
    options = spec.get("options", {})
    if unknown or not options.get("disableNameSuffixHash"):
        raise UnsupportedKustomization(f"{folder}: secretGenerator {spec['name']}")
    data = {
        Path(file).name: base64.b64encode((folder / file).read_bytes()).decode()
        for file in spec["files"]
    }
    metadata: Resource = {"name": spec["name"]}
    if options.get("labels"):
        metadata["labels"] = dict(options["labels"])
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": "Opaque",
        "data": data,
    }


def _patch(resources: list[Resource], patch: Resource) -> None:
    if set(patch) != {"target", "patch"} or set(patch["target"]) != {"kind", "name"}:
        raise UnsupportedKustomization(f"patch {patch}")
    target = _named(resources, patch["target"]["kind"], patch["target"]["name"])
    operations = yaml.safe_load(patch["patch"])
    patched = jsonpatch.JsonPatch(operations).apply(copy.deepcopy(target))
    target.clear()
    target.update(patched)


def _set_image(resources: list[Resource], image: Resource) -> None:
    reference = f"{image.get('newName', image['name'])}:{image['newTag']}"
    for resource in resources:
        pod = _pod_spec(resource)
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            if container["image"].split(":")[0] == image["name"]:
                container["image"] = reference


def _pod_spec(resource: Resource) -> Resource:
    template = resource.get("spec", {}).get("template", {})
    spec: Resource = template.get("spec", {})
    return spec


def _named(resources: list[Resource], kind: str, name: str) -> Resource:
    found = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    if len(found) != 1:
        raise UnsupportedKustomization(f"{len(found)} resources are {kind}/{name}")
    return found[0]
