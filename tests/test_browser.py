"""The failure-mode widgets (nbs/10c) in a real browser: JupyterLab on 127.0.0.1, headless Debian Chromium.

The notebook is copied to a temporary folder (JupyterLab saves outputs into what it opens) and run there with every
cell; the test checks that the three widgets render, then moves a control of each the way a student would (a click on an
overlap toggle, an arrow key on a slider, a choice in a drop-down) and checks that each picture changes, and that no
cell wrote to stderr and the page's console logged no error. Screenshots go to outputs/browser/.
Nothing is downloaded: Chromium and chromedriver are Debian's (tools/test.sh installs them as root), driven by
selenium with the driver's path given, and JupyterLab is told not to look for news or updates.
"""
import configparser, json, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
DRIVER = shutil.which('chromedriver')
SHOTS = ROOT / 'outputs' / 'browser'

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER) or os.environ.get('HPDM_SKIP_BROWSER'),
    reason='needs Debian chromium and chromium-driver (tools/test.sh installs them when run as root)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def _wait(fn, timeout: float, what: str, every: float = 0.5):
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            v = fn()
            if v: return v
        except Exception:  # the page or server is not ready yet
            pass
        time.sleep(every)
    raise TimeoutError(f'timed out after {timeout:.0f} s waiting for {what}')


@pytest.fixture
def lab(tmp_path):
    "A JupyterLab server on 127.0.0.1 serving a copy of nbs/10c_widgets.ipynb with a python3 kernel."
    nb = json.loads((ROOT / 'nbs' / '10c_widgets.ipynb').read_text())
    sys.path.insert(0, str(ROOT / 'tools'))
    from nbrun import cell_flags
    ini = configparser.ConfigParser(); ini.read(ROOT / 'settings.ini')
    skip = set(ini['DEFAULT']['tst_flags'].split())  # the cells the test command skips (a slow one builds a 256 explorer)
    nb['cells'] = [c for c in nb['cells'] if not cell_flags(''.join(c['source'])) & skip]
    nb['metadata']['kernelspec'] = dict(name='python3', display_name='Python 3', language='python')
    (tmp_path / 'widgets.ipynb').write_text(json.dumps(nb))
    env = {**os.environ, 'IN_TEST': '1', 'OMP_NUM_THREADS': '1', 'JUPYTER_CONFIG_DIR': str(tmp_path / 'config'),
           'JUPYTER_RUNTIME_DIR': str(tmp_path / 'runtime'), 'MPLBACKEND': 'Agg'}
    subprocess.run([sys.executable, '-m', 'jupyter', 'labextension', 'disable',
                    '@jupyterlab/apputils-extension:announcements'], env=env, capture_output=True)
    port = _free_port()
    log = open(tmp_path / 'lab.log', 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'jupyter', 'lab', '--allow-root', '--no-browser', f'--port={port}',
                             '--ServerApp.ip=127.0.0.1', '--IdentityProvider.token=', '--ServerApp.password=',
                             '--LabApp.news_url=None', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
                             '--LabApp.expose_app_in_browser=True', f'--ServerApp.root_dir={tmp_path}'],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait(lambda: urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status', timeout=2).status == 200, 60,
              'the JupyterLab server')
        yield f'http://127.0.0.1:{port}/lab/tree/widgets.ipynb', tmp_path
    finally:
        proc.terminate()
        try: proc.wait(10)
        except subprocess.TimeoutExpired: proc.kill()
        log.close()


def test_widgets_render_and_respond(lab):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
    url, tmp = lab
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})  # the page's console, read as the test goes
    for a in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-sync',
              '--disable-background-networking', '--disable-component-update', '--window-size=1400,4000',
              f'--user-data-dir={tmp / "chromium"}'):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    console = []  # every entry of the page's console (each read of the log returns what came since the last)
    def read_console():
        console.extend(drv.get_log('browser'))
        return console
    SHOTS.mkdir(parents=True, exist_ok=True)
    kernel_dbg = ("const w = window.jupyterapp && Array.from(jupyterapp.shell.widgets('main')).find(w => w.sessionContext);"
                  "return [String(!!window.jupyterapp), w ? w.id : null, w ? String(w.sessionContext.kernelDisplayStatus) : null];")
    try:
        drv.get(url)
        panel = ("const w = window.jupyterapp && Array.from(jupyterapp.shell.widgets('main')).find(w => w.sessionContext);")
        kernel = panel + ("const k = w && w.sessionContext.session && w.sessionContext.session.kernel;"
                          "return k ? k.status : null;")
        _wait(lambda: drv.execute_script(kernel) == 'idle', 120, 'an idle kernel')  # (a new kernel starts)
        # start the run and return at once (returning the command's promise would make selenium wait for every cell)
        drv.execute_script(panel + "jupyterapp.shell.activateById(w.id); jupyterapp.commands.execute('notebook:run-all-cells'); return true;")
        imgs = lambda: drv.find_elements(By.CSS_SELECTOR, '.jp-OutputArea-output img.widget-image')
        # three explorers: the overlap explorer, the stitching viewer, the error-propagation explorer
        _wait(lambda: len(imgs()) >= 3 and all(i.get_attribute('src') for i in imgs()[:3]), 400, 'three widget images')
        _wait(lambda: drv.execute_script(kernel) == 'idle', 120, 'the notebook to finish')
        stderr = [e.text for e in drv.find_elements(By.CSS_SELECTOR, '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]')]
        tracebacks = [e.text for e in drv.find_elements(By.CSS_SELECTOR, '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')]
        assert not tracebacks, tracebacks[0][:2000]
        assert not stderr, f'a cell wrote to stderr: {stderr[0][:2000]}'
        drv.save_screenshot(str(SHOTS / 'widgets_before.png'))
        before = [i.get_attribute('src') for i in imgs()[:3]]

        # the overlap explorer: click '50%' on the h axis (the notebook itself set w to 50%); it samples and redraws
        toggles = drv.find_elements(By.CSS_SELECTOR, '.widget-toggle-buttons')
        h_axis = toggles[1].find_elements(By.TAG_NAME, 'button')
        next(b for b in h_axis if b.text.strip() == '50%').click()
        _wait(lambda: imgs()[0].get_attribute('src') != before[0], 300, 'the overlap explorer to redraw')

        # the stitching viewer: one step back with the keyboard on the step slider's handle
        handle = drv.find_elements(By.CSS_SELECTOR, '.widget-slider .noUi-handle')[0]
        handle.click(); handle.send_keys(Keys.ARROW_LEFT)
        _wait(lambda: imgs()[1].get_attribute('src') != before[1], 120, 'the stitching viewer to redraw')

        # the error-propagation explorer: another change from its drop-down; it regenerates the finer levels and redraws
        change = Select(drv.find_element(By.XPATH, "//div[contains(@class, 'widget-dropdown')]"
                                                   "[.//label[normalize-space()='change']]//select"))
        assert change.first_selected_option.text == 'shift'
        change.select_by_visible_text('colour')
        _wait(lambda: imgs()[2].get_attribute('src') != before[2], 300, 'the error-propagation explorer to redraw')
        drv.execute_script("arguments[0].scrollIntoView()", imgs()[0])
        drv.save_screenshot(str(SHOTS / 'widgets_after.png'))
        after = [i.get_attribute('src') for i in imgs()[:3]]
        assert all(a != b for a, b in zip(after, before)), 'a widget did not redraw'
        assert not drv.find_elements(By.CSS_SELECTOR, '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')

        # the page's console: read at all (the application announces its start there), and no error in it
        assert any('Starting application' in e['message'] for e in read_console()), console[:5]
        severe = [e['message'] for e in console if e['level'] == 'SEVERE']
        assert not severe, f'the page logged {len(severe)} error(s) to its console, the first: {severe[0][:2000]}'
    except Exception:
        drv.save_screenshot(str(SHOTS / 'widgets_failure.png'))
        print((tmp / 'lab.log').read_text()[-3000:])
        print(drv.execute_script("return document.title"), drv.execute_script(kernel_dbg))
        print('console:', [(e['level'], e['message'][:300]) for e in read_console()][-20:])
        raise
    finally:
        drv.quit()
