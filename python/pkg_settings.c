/* pkg_settings.c: _core.Settings, an lg_settings read and written by name through the
 * settings table (loadgen/config.h), so that names, ranges and messages are the table's
 * ("unknown setting 'x'; did you mean ...", the range naming the key and value), and
 * _core.fields(), the table itself. The package's loadgen.Settings wraps it with Python
 * types and short names. */
#include <string.h>

#include "loadgen/config.h"
#include "python/pkg.h"

static int settings_init(PyObject *self, PyObject *args, PyObject *kw)
{
    if (!PyArg_ParseTuple(args, ":Settings") || (kw && PyDict_GET_SIZE(kw))) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "_core.Settings() takes no arguments");
        return -1;
    }
    lg_settings_default(&((pk_settings *)self)->s);
    return 0;
}

/* set(name, text): the field named `name` from text in its own unit. */
static PyObject *settings_set(PyObject *self, PyObject *args)
{
    const char *name, *text;
    if (!PyArg_ParseTuple(args, "ss:set", &name, &text))
        return NULL;
    char err[512];
    if (lg_settings_set(&((pk_settings *)self)->s, name, text, err, sizeof err)) {
        PyErr_SetString(PyExc_ValueError, err);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* get(name): the field as text (numbers exactly, scenario and mode by name). */
static PyObject *settings_get(PyObject *self, PyObject *args)
{
    const char *name;
    if (!PyArg_ParseTuple(args, "s:get", &name))
        return NULL;
    char buf[128];
    if (lg_settings_get(&((pk_settings *)self)->s, name, buf, sizeof buf) < 0) {
        char err[256];
        lg_settings_set(NULL, name, "", err, sizeof err); /* the table's message */
        PyErr_SetString(PyExc_ValueError, err);
        return NULL;
    }
    return PyUnicode_FromString(buf);
}

/* check(): lg_settings_check's verdict, ValueError naming the setting. */
static PyObject *settings_check(PyObject *self, PyObject *unused)
{
    (void)unused;
    char msg[512];
    if (lg_settings_check(&((pk_settings *)self)->s, NULL, msg, sizeof msg)) {
        PyErr_SetString(PyExc_ValueError, msg);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* warnings(): lg_settings_warnings' lines. */
static PyObject *settings_warnings(PyObject *self, PyObject *unused)
{
    (void)unused;
    char buf[2048];
    if (lg_settings_warnings(&((pk_settings *)self)->s, NULL, buf, sizeof buf) < 0)
        return settings_check(self, NULL);
    return PyUnicode_FromString(buf);
}

/* load_config(path, model, scenario_name): the file's values for the model and scenario
 * (lg_config_load_file + lg_config_apply), with the file's line in messages. */
static PyObject *settings_load_config(PyObject *self, PyObject *args)
{
    const char *path, *model, *scen;
    if (!PyArg_ParseTuple(args, "sss:load_config", &path, &model, &scen))
        return NULL;
    lg_scenario sc;
    if (lg_scenario_parse(scen, &sc)) {
        PyErr_Format(PyExc_ValueError, "unknown scenario '%s'", scen);
        return NULL;
    }
    lg_config *c;
    char err[1024];
    int rc = lg_config_create(&c);
    if (rc)
        return pk_error(rc, "load_config");
    rc = lg_config_load_file(c, path, lg_config_kind_from_path(path), err, sizeof err);
    if (!rc)
        rc = lg_config_apply(c, model, sc, &((pk_settings *)self)->s, NULL, err, sizeof err);
    lg_config_destroy(c);
    if (rc) {
        PyErr_SetString(rc == LG_EIO ? PyExc_OSError : PyExc_ValueError, err);
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *settings_copy(PyObject *self, PyObject *unused)
{
    (void)unused;
    pk_settings *c = PyObject_New(pk_settings, &pk_settings_type);
    if (c)
        c->s = ((pk_settings *)self)->s;
    return (PyObject *)c;
}

static PyMethodDef settings_methods[] = {
    {"set", settings_set, METH_VARARGS, "set(name, text): one field, from text in its unit"},
    {"get", settings_get, METH_VARARGS, "get(name) -> text"},
    {"check", settings_check, METH_NOARGS, "ValueError when lg_settings_check refuses"},
    {"warnings", settings_warnings, METH_NOARGS, "lg_settings_warnings' lines"},
    {"load_config", settings_load_config, METH_VARARGS,
     "load_config(path, model, scenario): a config file's values"},
    {"copy", settings_copy, METH_NOARGS, "a copy"},
    {NULL, NULL, 0, NULL},
};

PyTypeObject pk_settings_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "loadgen._core.Settings",
    .tp_basicsize = sizeof(pk_settings),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An lg_settings, set and read by name through the settings table.",
    .tp_new = PyType_GenericNew,
    .tp_init = settings_init,
    .tp_methods = settings_methods,
};

/* "float" or "int" for a numeric field: a real field takes "0.5" (every real field's
 * range holds it), a whole-number field refuses it as not whole. */
static const char *numeric_kind(size_t i)
{
    lg_settings s;
    lg_settings_default(&s);
    return lg_settings_field_set(&s, i, "0.5", NULL, 0) == 0 ? "float" : "int";
}

PyObject *pk_fields(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    size_t n = lg_settings_field_count();
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        const char *unit = lg_settings_field_unit(i);
        const char *kind = !strcmp(unit, "bool") ? "bool"
                           : !strcmp(unit, "enum") ? "enum"
                                                   : numeric_kind(i);
        char dflt[128], range[256];
        lg_settings_field_default(i, dflt, sizeof dflt);
        lg_settings_field_range(i, range, sizeof range);
        PyObject *t = Py_BuildValue("{s:s,s:s,s:s,s:s,s:s,s:s,s:z,s:z,s:I}", "name",
                                    lg_settings_field_name(i), "kind", kind, "unit", unit,
                                    "default", dflt, "range", range, "doc",
                                    lg_settings_field_doc(i), "conf_key",
                                    lg_settings_field_conf_key(i), "conf_unit",
                                    lg_settings_field_conf_unit(i), "scenarios",
                                    lg_settings_field_scenarios(i));
        if (!t) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    return list;
}

int pk_settings_init(PyObject *m)
{
    if (PyType_Ready(&pk_settings_type) < 0)
        return -1;
    Py_INCREF(&pk_settings_type);
    if (PyModule_AddObject(m, "Settings", (PyObject *)&pk_settings_type) < 0) {
        Py_DECREF(&pk_settings_type);
        return -1;
    }
    return 0;
}
