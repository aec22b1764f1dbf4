"""A minimal kustomize renderer for the features k8s/ uses, since kubectl is not installed here.

Supported: `resources` (files and directories with a kustomization.yaml), `components`
(directories whose kustomization.yaml is a Component: its resources and patches apply to the
including kustomization's documents), `namespace`, `images` (newName/newTag), `labels` without
selectors, and `patches` as strategic-merge documents (`$patch: delete` removes the object) or as
JSON 6902 `replace`/`add` operations with a `target`. Anything else raises, so a manifest that
starts using another feature fails the tests instead of being rendered wrongly.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Document = dict[str, Any]
SUPPORTED_KEYS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "components",
    "images",
    "labels",
    "patches",
}
COMPONENT_KEYS = {"apiVersion", "kind", "resources", "patches"}
# Lists that strategic merge patches merge by a key instead of replacing (those k8s/ patches).
MERGE_KEYS = {"containers": "name", "env": "name", "volumes": "name", "volumeMounts": "name"}
NAMESPACED_KINDS_EXCLUDED = {"Namespace"}


class UnsupportedKustomization(Exception):
    pass


def load_documents(path: Path) -> list[Document]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def render(directory: Path) -> list[Document]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED_KEYS
    if unknown:
        raise UnsupportedKustomization(f"{directory}: {sorted(unknown)}")
    documents: list[Document] = []
    _add_resources(documents, directory, kustomization)
    # As kustomize does: components after the resources, before this kustomization's patches.
    for entry in kustomization.get("components", []):
        _apply_component(documents, directory / entry)
    _apply_patches(documents, directory, kustomization)
    for label in kustomization.get("labels", []):
        if label.get("includeSelectors"):
            raise UnsupportedKustomization("labels with includeSelectors")
        for document in documents:
            document["metadata"].setdefault("labels", {}).update(label["pairs"])
    for image in kustomization.get("images", []):
        _set_image(documents, image)
    if namespace := kustomization.get("namespace"):
        for document in documents:
            if document["kind"] not in NAMESPACED_KINDS_EXCLUDED:
                document["metadata"]["namespace"] = namespace
    return documents


def _add_resources(documents: list[Document], directory: Path, kustomization: Document) -> None:
    for entry in kustomization.get("resources", []):
        target = directory / entry
        documents += render(target) if target.is_dir() else load_documents(target)


def _apply_patches(documents: list[Document], directory: Path, kustomization: Document) -> None:
    for patch in kustomization.get("patches", []):
        _apply_patch(documents, directory, patch)


def _apply_component(documents: list[Document], directory: Path) -> None:
    component = yaml.safe_load((directory / "kustomization.yaml").read_text())
    if component.get("kind") != "Component" or set(component) - COMPONENT_KEYS:
        raise UnsupportedKustomization(f"{directory}: not a supported Component")
    _add_resources(documents, directory, component)
    _apply_patches(documents, directory, component)


def _apply_patch(documents: list[Document], directory: Path, patch: dict[str, Any]) -> None:
    if set(patch) - {"path", "target"}:
        raise UnsupportedKustomization(f"patch keys {sorted(patch)}")
    content = yaml.safe_load_all((directory / patch["path"]).read_text())
    if target := patch.get("target"):
        (operations,) = content
        matches = [doc for doc in documents if _matches(doc, target)]
        if len(matches) != 1:
            raise UnsupportedKustomization(f"{patch['path']}: {len(matches)} targets")
        for operation in operations:
            _json_patch(matches[0], operation)
        return
    for piece in content:
        matches = [doc for doc in documents if _same_object(doc, piece)]
        if len(matches) != 1:
            raise UnsupportedKustomization(f"{patch['path']}: no single {piece['metadata']}")
        if piece.get("$patch") == "delete":
            documents.remove(matches[0])
            continue
        merged = strategic_merge(matches[0], piece)
        matches[0].clear()
        matches[0].update(merged)


def _matches(document: Document, target: dict[str, str]) -> bool:
    return all(
        document["metadata"].get(key) == value if key == "name" else document.get(key) == value
        for key, value in target.items()
    )


def _same_object(document: Document, piece: Document) -> bool:
    return bool(
        document["kind"] == piece["kind"]
        and document["metadata"]["name"] == piece["metadata"]["name"]
    )


def strategic_merge(base: Any, patch: Any, field: str | None = None) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(base)
        for key, value in patch.items():
            merged[key] = strategic_merge(base[key], value, key) if key in base else value
        return merged
    if isinstance(base, list) and isinstance(patch, list) and field in MERGE_KEYS:
        key = MERGE_KEYS[field]
        merged_list = copy.deepcopy(base)
        for item in patch:
            same = [i for i, old in enumerate(merged_list) if old[key] == item[key]]
            if same:
                merged_list[same[0]] = strategic_merge(merged_list[same[0]], item)
            else:
                merged_list.append(item)
        return merged_list
    return copy.deepcopy(patch)


def _json_patch(document: Document, operation: dict[str, Any]) -> None:
    if operation["op"] not in {"replace", "add"}:
        raise UnsupportedKustomization(f"op {operation['op']}")
    *parents, last = [_unescape(part) for part in operation["path"].strip("/").split("/")]
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        index = int(last)
        if operation["op"] == "replace":
            node[index] = operation["value"]
        else:
            node.insert(index, operation["value"])
    else:
        if operation["op"] == "replace" and last not in node:
            raise UnsupportedKustomization(f"replace of a missing {operation['path']}")
        node[last] = operation["value"]


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _set_image(documents: list[Document], image: dict[str, str]) -> None:
    for document in documents:
        for container in pod_containers(document):
            name, _, _tag = str(container["image"]).partition(":")
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image['newTag']}"


def pod_spec(document: Document) -> dict[str, Any] | None:
    if document["kind"] in {"Deployment", "Job"}:
        spec: dict[str, Any] = document["spec"]["template"]["spec"]
        return spec
    return None


def pod_containers(document: Document) -> list[dict[str, Any]]:
    spec = pod_spec(document)
    return list(spec["containers"]) if spec else []
