/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ocsf_validate.c - an OCSF event against the schema's source files
 * (ocsf_validate.h).
 *
 * The schema is kept as jansson values.  A class or an object is resolved
 * once, on first use, into one table name -> attribute: its `extends`
 * parent's table, then each `$include`d file's attributes (a profile's
 * tagged with the profile's name), then its own attributes over them
 * (an attribute it defines itself is its own, whatever a profile says).
 * Merging an attribute overlays its fields and unites enums.  A value's
 * definition is the dictionary's overlaid with the table's.
 */
#include "ocsf_validate.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	ENUM_OTHER = 99,	/* an enum's "Other": its caption sibling may say anything */
	REGEX_MAX = 4096,	/* a translated regex */
	DEPTH_MAX = 32,		/* objects within objects */
};

struct ocsf_schema {
	char dir[PATH_MAX];
	char version[32];
	json_t *dict;		/* dictionary.json "attributes" */
	json_t *types;		/* dictionary.json "types"."attributes" */
	json_t *categories;	/* categories.json "attributes" */
	json_t *class_src;	/* event class files, by name */
	json_t *object_src;	/* object files, by name */
	json_t *profile_src;	/* profile files, by name */
	json_t *class_by_uid;	/* "2004" -> class name */
	json_t *resolved;	/* "class:NAME" / "object:NAME" -> resolved definition */
	json_t *regex_index;	/* type name -> index into re */
	regex_t *re;
	size_t n_re;
};

/* One validation: where problems go, what the event declares. */
struct vctx {
	struct ocsf_schema *s;
	struct sbuf *out;
	int problems;
	json_t *profiles;	/* metadata.profiles, or NULL */
	int depth;
};

static void problem(struct vctx *v, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct vctx *v, const char *path, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sbuf_addf(v->out, "%s: %s\n", *path ? path : "(event)", msg);
	v->problems++;
}

/* --- loading ---------------------------------------------------------------------- */

static json_t *load(const struct ocsf_schema *s, const char *rel, char *err, size_t errlen)
{
	char path[PATH_MAX * 2];
	json_error_t je;
	json_t *j;

	snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
	j = json_load_file(path, 0, &je);
	if (!j)
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
	return j;
}

/* Every *.json under rel (recursively) into by_name, keyed by its "name". */
static int load_dir(struct ocsf_schema *s, const char *rel, json_t *by_name, char *err,
		    size_t errlen)
{
	char path[PATH_MAX * 2], sub[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", s->dir, rel);
	d = opendir(path);
	if (!d) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (!rc && (e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		if (e->d_type == DT_DIR) {
			rc = load_dir(s, sub, by_name, err, errlen);
		} else if (n > 5 && !strcmp(e->d_name + n - 5, ".json")) {
			json_t *j = load(s, sub, err, errlen);
			const char *name = json_string_value(json_object_get(j, "name"));

			if (!j || !name) {
				json_decref(j);
				if (!*err)
					snprintf(err, errlen, "%s/%s: no \"name\"", s->dir, sub);
				rc = -EINVAL;
			} else {
				json_object_set_new(by_name, name, j);
			}
		}
	}
	closedir(d);
	return rc;
}

/* The numeric class_uid of every concrete class (category uid * 1000 + uid). */
static void index_classes(struct ocsf_schema *s)
{
	const char *name;
	json_t *c;

	json_object_foreach(s->class_src, name, c) {
		json_t *uid = json_object_get(c, "uid"), *up = c;
		const char *cat = NULL;

		/* the category is the nearest one along extends */
		for (int i = 0; up && !cat && i < 8; i++) {
			cat = json_string_value(json_object_get(up, "category"));
			up = json_object_get(s->class_src, json_string_value(
				json_object_get(up, "extends")) ?: "");
		}
		char key[32];
		json_int_t cu = json_integer_value(json_object_get(
			json_object_get(s->categories, cat ? cat : ""), "uid"));

		if (!strcmp(name, "base_event"))
			snprintf(key, sizeof(key), "0");
		else if (json_is_integer(uid) && cu)
			snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT,
				 cu * 1000 + json_integer_value(uid));
		else
			continue;	/* abstract: system, finding, network, ... */
		json_object_set_new(s->class_by_uid, key, json_string(name));
	}
}

int ocsf_schema_load(const char *dir, struct ocsf_schema **out, char *err, size_t errlen)
{
	struct ocsf_schema *s = calloc(1, sizeof(*s));
	json_t *dict = NULL, *cats = NULL, *ver = NULL;
	int rc = -EINVAL;

	err[0] = '\0';
	if (!s)
		return -ENOMEM;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->class_src = json_object();
	s->object_src = json_object();
	s->profile_src = json_object();
	s->class_by_uid = json_object();
	s->resolved = json_object();
	s->regex_index = json_object();
	dict = load(s, "dictionary.json", err, errlen);
	cats = dict ? load(s, "categories.json", err, errlen) : NULL;
	ver = cats ? load(s, "version.json", err, errlen) : NULL;
	if (!ver)
		goto fail;
	s->dict = json_incref(json_object_get(dict, "attributes"));
	s->types = json_incref(json_object_get(json_object_get(dict, "types"), "attributes"));
	s->categories = json_incref(json_object_get(cats, "attributes"));
	snprintf(s->version, sizeof(s->version), "%s",
		 json_string_value(json_object_get(ver, "version")) ?: "");
	rc = load_dir(s, "events", s->class_src, err, errlen);
	if (!rc)
		rc = load_dir(s, "objects", s->object_src, err, errlen);
	if (!rc)
		rc = load_dir(s, "profiles", s->profile_src, err, errlen);
	if (rc)
		goto fail;
	index_classes(s);
	json_decref(dict);
	json_decref(cats);
	json_decref(ver);
	*out = s;
	return 0;
fail:
	json_decref(dict);
	json_decref(cats);
	json_decref(ver);
	ocsf_schema_free(s);
	return rc;
}

void ocsf_schema_free(struct ocsf_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_re; i++)
		regfree(&s->re[i]);
	free(s->re);
	json_decref(s->dict);
	json_decref(s->types);
	json_decref(s->categories);
	json_decref(s->class_src);
	json_decref(s->object_src);
	json_decref(s->profile_src);
	json_decref(s->class_by_uid);
	json_decref(s->resolved);
	json_decref(s->regex_index);
	free(s);
}

/* --- resolving ------------------------------------------------------------------- */

/* b's fields over a copy of a (either may be NULL); enums are united. */
static json_t *merge_attr(json_t *a, json_t *b)
{
	json_t *m = a ? json_deep_copy(a) : json_object(), *ea = json_object_get(a, "enum");
	const char *k;
	json_t *v;

	json_object_foreach(b, k, v)
		json_object_set(m, k, v);
	if (ea && json_object_get(b, "enum")) {
		json_t *e = json_deep_copy(ea);

		json_object_update(e, json_object_get(b, "enum"));
		json_object_set_new(m, "enum", e);
	}
	return m;
}

/* Resolves the definition NAME of src (a class or an object) into
 * {"attributes", "profiles", "constraints", "caption", "category"}. */
static json_t *resolve(struct ocsf_schema *s, json_t *src, const char *kind, const char *name)
{
	char key[256], err[256];
	json_t *def = json_object_get(src, name), *r, *attrs, *own, *inc, *v;
	const char *parent, *k;
	size_t i;

	snprintf(key, sizeof(key), "%s:%s", kind, name);
	r = json_object_get(s->resolved, key);
	if (r || !def)
		return r;
	parent = json_string_value(json_object_get(def, "extends"));
	r = parent ? resolve(s, src, kind, parent) : NULL;
	r = r ? json_deep_copy(r) : json_pack("{s:o,s:o,s:o}", "attributes", json_object(),
					       "profiles", json_array(), "constraints", json_object());
	attrs = json_object_get(r, "attributes");
	own = json_object_get(def, "attributes");
	json_array_foreach(json_object_get(own, "$include"), i, v) {
		const char *file = json_string_value(v);
		json_t *f = file ? load(s, file, err, sizeof(err)) : NULL, *fa;
		int is_profile = f && !strcmp(json_string_value(json_object_get(f, "meta")) ?: "",
					      "profile");

		json_object_foreach(json_object_get(f, "attributes"), k, fa) {
			json_t *m = merge_attr(json_object_get(attrs, k), fa);

			if (is_profile)
				json_object_set(m, "profile", json_object_get(f, "name"));
			json_object_set_new(attrs, k, m);
		}
		json_decref(f);
	}
	json_object_foreach(own, k, v) {
		json_t *m;

		if (!strcmp(k, "$include"))
			continue;
		m = merge_attr(json_object_get(attrs, k), v);
		json_object_del(m, "profile");	/* its own attribute now */
		json_object_set_new(attrs, k, m);
	}
	json_array_foreach(json_object_get(def, "profiles"), i, v)
		json_array_append(json_object_get(r, "profiles"), v);
	if ((inc = json_object_get(def, "constraints")))	/* the nearest definition's */
		json_object_set(r, "constraints", inc);
	json_object_set(r, "caption", json_object_get(def, "caption"));
	if ((inc = json_object_get(def, "category")))
		json_object_set(r, "category", inc);
	json_object_set_new(s->resolved, key, r);
	return r;
}

/* --- types ------------------------------------------------------------------------- */

/* The schema's regex (PCRE-like) as POSIX ERE: \d, \s, (?: and escapes in brackets. */
static void to_ere(const char *in, char *out, size_t size)
{
	size_t o = 0;
	int bracket = 0;

	for (const char *p = in; *p && o + 16 < size; p++) {
		if (bracket) {
			if (*p == '\\' && p[1]) {
				p++;
				if (*p == 'd') {
					memcpy(out + o, "0-9", 3);
					o += 3;
					continue;
				}
			} else if (*p == ']') {
				bracket = 0;
			}
			out[o++] = *p;
		} else if (*p == '[') {
			bracket = 1;
			out[o++] = *p;
			if (p[1] == ']' || (p[1] == '^' && p[2] == ']'))
				out[o++] = *++p;
		} else if (*p == '\\' && (p[1] == 'd' || p[1] == 's')) {
			const char *cls = *++p == 'd' ? "[0-9]" : "[[:space:]]";

			memcpy(out + o, cls, strlen(cls));
			o += strlen(cls);
		} else if (*p == '(' && p[1] == '?' && p[2] == ':') {
			out[o++] = '(';
			p += 2;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

/* The compiled regex of a type, or NULL when it has none (or it does not compile). */
static regex_t *type_regex(struct ocsf_schema *s, const char *type)
{
	const char *src = json_string_value(json_object_get(json_object_get(s->types, type),
							    "regex"));
	json_t *idx = json_object_get(s->regex_index, type);
	char ere[REGEX_MAX];
	regex_t *re;

	if (idx)
		return json_integer_value(idx) < 0 ? NULL : &s->re[json_integer_value(idx)];
	re = src ? realloc(s->re, (s->n_re + 1) * sizeof(*re)) : NULL;
	if (re)
		s->re = re;
	to_ere(src ? src : "", ere, sizeof(ere));
	if (!re || regcomp(&s->re[s->n_re], ere, REG_EXTENDED | REG_NOSUB)) {
		json_object_set_new(s->regex_index, type, json_integer(-1));
		return NULL;
	}
	json_object_set_new(s->regex_index, type, json_integer((json_int_t)s->n_re));
	return &s->re[s->n_re++];
}

/* The base type a type ends in (string_t, integer_t, long_t, ...). */
static const char *base_type(struct ocsf_schema *s, const char *type)
{
	for (int i = 0; i < 8; i++) {
		const char *up = json_string_value(json_object_get(json_object_get(s->types, type),
								   "type"));
		if (!up)
			return type;
		type = up;
	}
	return type;
}

/* A scalar of a dictionary type: base type, then its regex, max_len, range. */
static void check_typed(struct vctx *v, const char *type, json_t *val, const char *path)
{
	const char *base = base_type(v->s, type);
	json_t *t = json_object_get(v->s->types, type);
	json_t *range = json_object_get(t, "range");
	json_int_t max_len = json_integer_value(json_object_get(t, "max_len"));
	regex_t *re;

	if (!strcmp(base, "string_t")) {
		if (!json_is_string(val))
			{ problem(v, path, "expected a string (%s)", type); return; }
		if (!max_len)
			max_len = json_integer_value(json_object_get(
				json_object_get(v->s->types, "string_t"), "max_len"));
		if (max_len && (json_int_t)json_string_length(val) > max_len)
			problem(v, path, "longer than %s's %" JSON_INTEGER_FORMAT " bytes", type,
				max_len);
		re = type_regex(v->s, type);
		if (re && regexec(re, json_string_value(val), 0, NULL, 0))
			problem(v, path, "\"%s\" is not a valid %s", json_string_value(val), type);
	} else if (!strcmp(base, "integer_t")) {
		if (!json_is_integer(val) || json_integer_value(val) < INT32_MIN ||
		    json_integer_value(val) > INT32_MAX)
			{ problem(v, path, "expected a 32-bit integer (%s)", type); return; }
		if (json_array_size(range) == 2 &&
		    (json_integer_value(val) < json_integer_value(json_array_get(range, 0)) ||
		     json_integer_value(val) > json_integer_value(json_array_get(range, 1))))
			problem(v, path, "%" JSON_INTEGER_FORMAT " is outside %s's range", 
				json_integer_value(val), type);
	} else if (!strcmp(base, "long_t")) {
		if (!json_is_integer(val))
			problem(v, path, "expected an integer (%s)", type);
	} else if (!strcmp(base, "float_t")) {
		if (!json_is_number(val))
			problem(v, path, "expected a number (%s)", type);
	} else if (!strcmp(base, "boolean_t")) {
		if (!json_is_boolean(val))
			problem(v, path, "expected true or false (%s)", type);
	} else if (strcmp(base, "json_t")) {
		problem(v, path, "the schema has no type %s", type);
	}
}

/* --- values and objects ---------------------------------------------------------- */

static void check_fields(struct vctx *v, json_t *obj, json_t *def, const char *what,
			 const char *path);

static void check_enum(struct vctx *v, json_t *def, json_t *val, const char *path)
{
	json_t *e = json_object_get(def, "enum");
	char key[64];

	if (!e)
		return;
	if (json_is_integer(val))
		snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT, json_integer_value(val));
	else if (json_is_string(val))
		snprintf(key, sizeof(key), "%s", json_string_value(val));
	else
		return;
	if (!json_object_get(e, key))
		problem(v, path, "%s is not a value of its enum", key);
}

/* One value (an array's element: one item) of the attribute defined by def. */
static void check_scalar(struct vctx *v, json_t *def, json_t *val, const char *path)
{
	const char *type = json_string_value(json_object_get(def, "type"));
	json_t *obj_def;

	if (!type)
		{ problem(v, path, "the dictionary gives it no type"); return; }
	if (json_is_null(val))
		{ problem(v, path, "null: OCSF has no null values, leave the attribute out"); return; }
	if (!strcmp(type, "object")) {	/* unmapped, xattributes: any object */
		if (!json_is_object(val))
			problem(v, path, "expected an object");
		return;
	}
	obj_def = resolve(v->s, v->s->object_src, "object", type);
	if (obj_def) {
		if (!json_is_object(val))
			{ problem(v, path, "expected an object (%s)", type); return; }
		if (v->depth >= DEPTH_MAX)
			{ problem(v, path, "objects nested too deep"); return; }
		v->depth++;
		check_fields(v, val, obj_def, type, path);
		v->depth--;
		return;
	}
	check_typed(v, type, val, path);
	check_enum(v, def, val, path);
}

static int declared(struct vctx *v, const char *profile)
{
	size_t i;
	json_t *p;

	json_array_foreach(v->profiles, i, p)
		if (json_is_string(p) && !strcmp(json_string_value(p), profile))
			return 1;
	return 0;
}

/* X_id's caption sibling X, when both are there and X_id is not Other */
static void check_sibling(struct vctx *v, json_t *obj, json_t *def, json_t *val,
			  const char *path)
{
	const char *sib = json_string_value(json_object_get(def, "sibling"));
	json_t *s = sib ? json_object_get(obj, sib) : NULL, *cap;
	char key[32];

	if (!s || !json_is_integer(val) || json_integer_value(val) == ENUM_OTHER)
		return;
	snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT, json_integer_value(val));
	cap = json_object_get(json_object_get(json_object_get(def, "enum"), key), "caption");
	if (cap && (!json_is_string(s) || !json_equal(s, cap)))
		problem(v, path, "its sibling %s should be \"%s\"", sib, json_string_value(cap));
}

static void check_attr(struct vctx *v, json_t *obj, const char *k, json_t *val, json_t *attr,
		       const char *what, const char *path)
{
	json_t *dict = json_object_get(v->s->dict, k), *def;
	const char *profile = json_string_value(json_object_get(attr, "profile"));
	char sub[1200];
	size_t i;
	json_t *e;

	if (!attr)
		{ problem(v, path, "%s has no attribute %s", what, k); return; }
	if (!dict)
		{ problem(v, path, "%s is not in the dictionary", k); return; }
	if (profile && !declared(v, profile))
		problem(v, path, "comes from the %s profile, which metadata.profiles does not "
			"declare", profile);
	def = merge_attr(dict, attr);
	if (json_is_true(json_object_get(def, "is_array"))) {
		if (!json_is_array(val)) {
			problem(v, path, "expected an array");
		} else {
			json_array_foreach(val, i, e) {
				if (snprintf(sub, sizeof(sub), "%.1100s[%zu]", path, i) >= (int)sizeof(sub))
					continue;
				check_scalar(v, def, e, sub);
			}
		}
	} else {
		check_scalar(v, def, val, path);
		check_sibling(v, obj, def, val, path);
	}
	json_decref(def);
}

static void check_constraints(struct vctx *v, json_t *obj, json_t *def, const char *what,
			      const char *path)
{
	json_t *c = json_object_get(def, "constraints"), *k;
	size_t i, n;

	n = 0;
	json_array_foreach(json_object_get(c, "at_least_one"), i, k)
		n += json_object_get(obj, json_string_value(k)) != NULL;
	if (json_array_size(json_object_get(c, "at_least_one")) && !n)
		problem(v, path, "%s needs at least one of its at_least_one attributes", what);
	n = 0;
	json_array_foreach(json_object_get(c, "just_one"), i, k)
		n += json_object_get(obj, json_string_value(k)) != NULL;
	if (json_array_size(json_object_get(c, "just_one")) && n != 1)
		problem(v, path, "%s needs exactly one of its just_one attributes", what);
}

static void check_fields(struct vctx *v, json_t *obj, json_t *def, const char *what,
			 const char *path)
{
	json_t *attrs = json_object_get(def, "attributes"), *val, *a;
	const char *k;
	char sub[1200];

	json_object_foreach(obj, k, val) {
		snprintf(sub, sizeof(sub), "%.1000s%s%.100s", path, *path ? "." : "", k);
		check_attr(v, obj, k, val, json_object_get(attrs, k), what, sub);
	}
	json_object_foreach(attrs, k, a) {
		const char *profile = json_string_value(json_object_get(a, "profile"));

		if (json_object_get(obj, k) ||
		    strcmp(json_string_value(json_object_get(a, "requirement")) ?: "", "required") ||
		    (profile && !declared(v, profile)))
			continue;
		snprintf(sub, sizeof(sub), "%.1000s%s%.100s", path, *path ? "." : "", k);
		problem(v, sub, "required by %s, missing", what);
	}
	check_constraints(v, obj, def, what, path);
}

/* --- the event -------------------------------------------------------------------- */

/* class_uid, category_uid, type_uid and their captions: the server computes
 * these enums from the class, so they are checked here. */
static json_t *check_class(struct vctx *v, json_t *ev)
{
	json_t *cuid = json_object_get(ev, "class_uid"), *def, *act, *name;
	char key[32], want[256];
	const char *cls, *cat;
	json_int_t class_uid, cat_uid, act_id;

	if (!json_is_integer(cuid)) {
		problem(v, "class_uid", "missing or not an integer");
		return NULL;
	}
	class_uid = json_integer_value(cuid);
	snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT, class_uid);
	cls = json_string_value(json_object_get(v->s->class_by_uid, key));
	def = cls ? resolve(v->s, v->s->class_src, "class", cls) : NULL;
	if (!def) {
		problem(v, "class_uid", "%s is no class of OCSF %s", key, v->s->version);
		return NULL;
	}
	cat = json_string_value(json_object_get(def, "category"));
	cat_uid = class_uid / 1000;
	if (json_integer_value(json_object_get(ev, "category_uid")) != cat_uid)
		problem(v, "category_uid", "class %s is in category %" JSON_INTEGER_FORMAT, cls,
			cat_uid);
	name = json_object_get(ev, "category_name");
	if (name && cat_uid && !json_equal(name, json_object_get(json_object_get(
				v->s->categories, cat ? cat : ""), "caption")))
		problem(v, "category_name", "not the caption of category %" JSON_INTEGER_FORMAT,
			cat_uid);
	name = json_object_get(ev, "class_name");
	if (name && !json_equal(name, json_object_get(def, "caption")))
		problem(v, "class_name", "should be \"%s\"",
			json_string_value(json_object_get(def, "caption")));
	act_id = json_integer_value(json_object_get(ev, "activity_id"));
	if (json_integer_value(json_object_get(ev, "type_uid")) != class_uid * 100 + act_id)
		problem(v, "type_uid", "should be class_uid * 100 + activity_id = %" JSON_INTEGER_FORMAT,
			class_uid * 100 + act_id);
	snprintf(key, sizeof(key), "%" JSON_INTEGER_FORMAT, act_id);
	act = json_object_get(json_object_get(json_object_get(json_object_get(def, "attributes"),
				"activity_id"), "enum"), key);
	name = json_object_get(ev, "type_name");
	snprintf(want, sizeof(want), "%s: %s", json_string_value(json_object_get(def, "caption")),
		 json_string_value(json_object_get(act, "caption")) ?: "?");
	if (name && act && act_id != ENUM_OTHER &&
	    (!json_is_string(name) || strcmp(json_string_value(name), want)))
		problem(v, "type_name", "should be \"%s\"", want);
	return def;
}

int ocsf_validate(struct ocsf_schema *s, json_t *ev, struct sbuf *out)
{
	struct vctx v = { .s = s, .out = out };
	json_t *def, *meta = json_object_get(ev, "metadata"), *p, *attrs, *copy;
	size_t i;

	if (!json_is_object(ev)) {
		problem(&v, "", "not a JSON object");
		return v.problems;
	}
	v.profiles = json_object_get(meta, "profiles");
	json_array_foreach(v.profiles, i, p)
		if (!json_object_get(s->profile_src, json_string_value(p) ?: ""))
			problem(&v, "metadata.profiles", "%s is no profile of OCSF %s",
				json_string_value(p) ?: "(not a string)", s->version);
	if (strcmp(json_string_value(json_object_get(meta, "version")) ?: "", s->version))
		problem(&v, "metadata.version", "should be \"%s\"", s->version);
	def = check_class(&v, ev);
	if (!def)
		return v.problems;
	/* the computed enums are checked above; the rest as for any object */
	copy = json_deep_copy(def);
	attrs = json_object_get(copy, "attributes");
	json_object_del(json_object_get(attrs, "class_uid"), "enum");
	json_object_del(json_object_get(attrs, "category_uid"), "enum");
	json_object_del(json_object_get(attrs, "type_uid"), "enum");
	check_fields(&v, ev, copy, json_string_value(json_object_get(def, "caption")), "");
	json_decref(copy);
	return v.problems;
}
