"""The shape of the library: its modules in layers that import only downward.

Reads every module of hpdm_nb with `ast` (nothing is imported) and checks:
- every module sits in exactly one layer of `LAYERS` (a new module must be placed here, so the picture stays true);
- a module imports only from its own layer or the layers below it;
- no import cycle, within a layer or across;
- no import inside a function, except of an optional or slow dependency named in `LAZY` (and never of hpdm_nb);
- a module listed in `LIGHT` never pulls in, directly or through another module, one of `HEAVY` (the model, the trainer):
  data, files, devices, noise and measures stay cheap to import for a loader worker, a benchmark or a test.

Prints the picture (layers, each module with what it imports from the package) and exits 1 with the reasons on any
violation. Usage: python tools/house.py [--markdown]   (--markdown prints the table of .github/CONTRIBUTING.md)
"""
import ast, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / 'hpdm_nb'

# bottom first: a module may import from its own layer and the layers before it
LAYERS = {
    'core': ['torch_core', 'video', 'shapes', 'video_files', 'patches', 'diffusion', 'samplers', 'rin', 'tokens', 'unet', 'fusion',
             'conditioning', 'config', 'model', 'text'],
    'training': ['loss', 'draws', 'optim', 'step', 'distributed', 'checkpoints', 'weights', 'runconfig', 'datasets', 'loading',
                 'trainer'],
    'inference': ['tile_grid', 'tiled_denoiser', 'sampling', 'profiling'],
    'artefacts': ['pretrained'],
    'applications': ['quality', 'seams', 'propagation', 'dead_pixels', 'widgets', 'i3d', 'outputs', 'fvd', 'demo', 'cli'],
}

# what a light module must never pull in, and why it is heavy
HEAVY = {'model': 'the whole network (config, tokens, RIN blocks, fusion, U-Net) built to be used',
         'trainer': 'the training loop, with processes, checkpoints, weights and the optimiser'}
# modules that must stay light: each imports, through every path, none of HEAVY
LIGHT = ['torch_core', 'video', 'shapes', 'video_files', 'patches', 'diffusion', 'samplers', 'rin', 'tokens', 'unet',
         'fusion', 'conditioning', 'config', 'text', 'draws', 'optim', 'runconfig', 'datasets', 'loading', 'tile_grid',
         'i3d']

# imports that may wait inside a function: optional extras, or slow imports that one function needs
LAZY = {
    'transformers': 'optional text encoders; slow to import',
    'ipywidgets': 'notebook extra',
    'av': 'video decoding, only for video files',
    'PIL': 'image files only',
    'sklearn': 'slow to import; only the digits and the kind judge use it',
    'scipy': 'slow to import; only shape measures use it',
    'torchmetrics': 'slow to import; only FVD uses it',
    'imageio_ffmpeg': 'only writing video files needs ffmpeg',
    'difflib': 'only an error message uses it',
    'torch.distributed.fsdp': 'sharded training only; where it lives changed between torch releases',
}


def _imports(path: Path):
    "(dotted module imported, line, inside a function?) for every import in `path`; `from . import x` reads hpdm_nb.x."
    tree = ast.parse(path.read_text(), str(path))
    out = []
    def visit(node, in_fn):
        for child in ast.iter_child_nodes(node):
            fn = in_fn or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.ImportFrom):
                if child.level == 1 and child.module: out.append(('hpdm_nb.' + child.module.split('.')[0], child.lineno, in_fn))
                elif child.level == 1: out.extend(('hpdm_nb.' + a.name, child.lineno, in_fn) for a in child.names)
                elif child.module == 'hpdm_nb': out.extend(('hpdm_nb.' + a.name, child.lineno, in_fn) for a in child.names)
                elif child.module: out.append((child.module, child.lineno, in_fn))
            elif isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, in_fn) for a in child.names)
            visit(child, fn)
    visit(tree, False)
    return out


def check():
    "The graph `{module: sorted package imports}` and the list of violations."
    layer_of = {m: i for i, (_, ms) in enumerate(LAYERS.items()) for m in ms}
    names = list(LAYERS)
    modules = sorted(p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_'))
    problems = []
    for m in modules:
        if m not in layer_of: problems.append(f'{m}: not in any layer of tools/house.py LAYERS (place it there)')
    for m in layer_of:
        if m not in modules: problems.append(f'{m}: listed in LAYERS but hpdm_nb/{m}.py does not exist')
    graph = {}
    for m in modules:
        deps = set()
        for mod, line, in_fn in _imports(PKG / f'{m}.py'):
            inner = mod.split('.')[0] == 'hpdm_nb'
            lazy = any(mod == k or mod.startswith(k + '.') for k in LAZY)
            if in_fn and (inner or not lazy) and mod not in ('os', 'sys'):
                problems.append(f'{m}.py:{line}: imports {mod} inside a function (import it at the top; '
                                f'only {", ".join(sorted(LAZY))} may wait)')
            if mod.startswith('hpdm_nb.'):
                dep = mod.split('.')[1]
                if dep == m: continue
                deps.add(dep)
                if m in layer_of and dep in layer_of and layer_of[dep] > layer_of[m]:
                    problems.append(f'{m} ({names[layer_of[m]]}) imports {dep} from the layer above ({names[layer_of[dep]]})')
        graph[m] = sorted(deps)
    # light modules: the first path from each to a heavy module, breadth first
    for m in LIGHT:
        if m not in graph: problems.append(f'{m}: listed in LIGHT but hpdm_nb/{m}.py does not exist'); continue
        paths, queue = {m: [m]}, [m]
        while queue:
            cur = queue.pop(0)
            for d in graph.get(cur, []):
                if d in paths: continue
                paths[d] = paths[cur] + [d]; queue.append(d)
                if d in HEAVY:
                    problems.append(f'{m} must stay light (LIGHT in tools/house.py) but pulls in {d}, {HEAVY[d]}: '
                                    + ' -> '.join(paths[d]) + ' (import what it needs from a lighter module)')
    # cycles: depth-first search
    state, stack = {}, []
    def dfs(m):
        state[m] = 1; stack.append(m)
        for d in graph.get(m, []):
            if state.get(d) == 1: problems.append('import cycle: ' + ' -> '.join(stack[stack.index(d):] + [d]))
            elif d in graph and not state.get(d): dfs(d)
        stack.pop(); state[m] = 2
    for m in graph:
        if not state.get(m): dfs(m)
    return graph, problems


def picture(graph, markdown=False) -> str:
    "The layers, top layer first, each module with what it imports from the package."
    lines = ['| layer | module | imports from hpdm_nb |', '|---|---|---|'] if markdown else []
    for layer, mods in reversed(list(LAYERS.items())):
        if not markdown: lines.append(f'{layer}')
        for m in mods:
            deps = ', '.join(graph.get(m, [])) or '-'
            lines.append(f'| {layer} | `{m}` | {deps} |' if markdown else f'    {m:<15} <- {deps}')
    return '\n'.join(lines)


if __name__ == '__main__':
    graph, problems = check()
    print(picture(graph, markdown='--markdown' in sys.argv))
    if problems:
        print(f'\n{len(problems)} problem(s) with the shape of hpdm_nb:', file=sys.stderr)
        for p in problems: print('  ' + p, file=sys.stderr)
        sys.exit(1)
    print(f'\n{len(graph)} modules in {len(LAYERS)} layers, every import downward, no cycle; '
          f'{len(LIGHT)} light modules pull in none of {", ".join(HEAVY)}')
