// page.js starts GraphiQL on tenantgraph's GraphiQL page. It reads its
// settings from the JSON in #graphiql-config and, in dev mode, ties the
// tenant picker #graphiql-tenant to the Authorization header.
//
// The schema follows the Authorization header: when the header changes,
// by the picker or by hand, GraphiQL fetches the schema again.
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('graphiql-config').textContent);
  var picker = document.getElementById('graphiql-tenant');
  var tokens = config.devTokens || [];
  var tenantKey = 'tenantgraph:graphiql:tenant';
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  var send = GraphiQL.createFetcher({ url: config.endpoint });

  var headersProp = config.defaultHeaders; // GraphiQL's headers prop; a new value replaces the editor's text
  var editorHeaders = headersProp; // the header editor's text, as last reported
  var schemaAuth = null; // the Authorization header the schema was last fetched with
  var started = false; // whether GraphiQL has fetched the schema once
  var current = -1; // index in tokens of the tenant the picker shows, or -1
  var refetchTimer = 0;

  // parseHeaders returns the headers in text, or null if text is not a
  // JSON object.
  function parseHeaders(text) {
    try {
      var h = JSON.parse(text);
      return h && typeof h === 'object' && !Array.isArray(h) ? h : null;
    } catch (e) {
      return null;
    }
  }

  // authorization returns the Authorization header in headers, or ''.
  function authorization(headers) {
    var auth = '';
    Object.keys(headers || {}).forEach(function (k) {
      if (k.toLowerCase() === 'authorization') auth = String(headers[k]);
    });
    return auth;
  }

  // withToken returns text with its Authorization header set to a bearer
  // token, keeping any other headers.
  function withToken(text, token) {
    var old = parseHeaders(text) || {};
    var h = { Authorization: 'Bearer ' + token };
    Object.keys(old).forEach(function (k) {
      if (k.toLowerCase() !== 'authorization') h[k] = old[k];
    });
    return JSON.stringify(h, null, 2);
  }

  // newFetcher returns a fetcher for GraphiQL; passing GraphiQL a new one
  // makes it fetch the schema again, with the header editor's headers.
  // GraphiQL fetches the schema the first time before the editor exists,
  // and so without headers: that request gets the editor's first text.
  function newFetcher() {
    return function (params, opts) {
      if (params && params.operationName === 'IntrospectionQuery') {
        if (!started && !(opts && opts.headers)) {
          opts = Object.assign({}, opts, { headers: parseHeaders(headersProp) || {} });
        }
        started = true;
        schemaAuth = authorization(opts && opts.headers);
      }
      return send(params, opts);
    };
  }

  var fetcher = newFetcher();

  // render renders GraphiQL with headersProp, or with no headers prop if
  // clearHeaders is set.
  function render(clearHeaders) {
    root.render(
      React.createElement(GraphiQL, {
        fetcher: fetcher,
        defaultQuery: config.defaultQuery,
        headers: clearHeaders ? undefined : headersProp,
        defaultHeaders: headersProp,
        shouldPersistHeaders: false,
        defaultEditorToolsVisibility: 'headers',
        onEditHeaders: onEditHeaders,
      })
    );
  }

  // refetchSchema makes GraphiQL fetch the schema again.
  function refetchSchema() {
    clearTimeout(refetchTimer);
    fetcher = newFetcher();
    render();
  }

  // onEditHeaders is called by GraphiQL whenever the header editor's text
  // changes: typed, put there by the picker, or on switching tabs. A new
  // Authorization header means a new schema.
  function onEditHeaders(text) {
    editorHeaders = text;
    clearTimeout(refetchTimer);
    var h = parseHeaders(text);
    if (h) showTenant(authorization(h));
    if (!started || !h || authorization(h) === schemaAuth) return;
    if (text === headersProp) {
      refetchSchema(); // set by the picker
    } else {
      refetchTimer = setTimeout(refetchSchema, 600); // wait for a pause in typing
    }
  }

  // showTenant sets the picker, if any, to the tenant whose token is in
  // auth, or to "other token".
  function showTenant(auth) {
    if (!picker) return;
    current = -1;
    tokens.forEach(function (t, i) {
      if (current < 0 && auth === 'Bearer ' + t.token) current = i;
    });
    picker.value = current < 0 ? '' : String(current);
  }

  function storageGet(key) {
    try {
      return localStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      localStorage.setItem(key, value);
    } catch (e) {}
  }

  if (picker && tokens.length > 0) {
    // Dev mode: act as the tenant picked last time, or else the first.
    var saved = storageGet(tenantKey);
    var first = 0;
    tokens.forEach(function (t, i) {
      if (t.tenant === saved) first = i;
    });
    headersProp = editorHeaders = withToken('', tokens[first].token);
    showTenant('Bearer ' + tokens[first].token);

    picker.addEventListener('change', function () {
      var i = Number(picker.value);
      if (!tokens[i] || i === current) return;
      current = i;
      storageSet(tenantKey, tokens[i].tenant);
      // GraphiQL puts its headers prop into the editor when the prop
      // changes, so clear it first for a text equal to the last one to
      // count. onEditHeaders then fetches the tenant's schema.
      headersProp = withToken(editorHeaders, tokens[i].token);
      ReactDOM.flushSync(function () {
        render(true);
      });
      render();
    });
  }
  render();
})();
