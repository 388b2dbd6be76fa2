// page.js starts GraphiQL on tenantgraph's GraphiQL page. It reads its
// settings from the JSON in #graphiql-config and, in dev mode, ties the
// tenant picker #graphiql-tenant and the role picker #graphiql-role to the
// Authorization header. The role picker lists the tokens of the tenant
// shown, and is shown only for a tenant with tokens for roles.
//
// The schema follows the Authorization header: when the header changes,
// by a picker or by hand, GraphiQL fetches the schema again, and each role
// may see a schema of its own.
//
// Without dev mode the page asks for a token (#graphiql-token) and sends
// nothing until the header editor has one. A 401 from the endpoint shows
// #graphiql-notice: in dev mode, that the gateway restarted (its dev
// tokens die with the process that signed them) and the page needs a
// reload; otherwise, that the token was refused.
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('graphiql-config').textContent);
  var picker = document.getElementById('graphiql-tenant');
  var rolePicker = document.getElementById('graphiql-role');
  var roleLabel = document.getElementById('graphiql-role-label');
  var tenants = config.devTenants || []; // [{tenant, tokens: [{role, label, token}]}]
  var tenantKey = 'tenantgraph:graphiql:tenant'; // the tenant picked last
  var roleKey = 'tenantgraph:graphiql:role:'; // + tenant ID: the role picked last for it
  var notice = document.getElementById('graphiql-notice');
  var tokenForm = document.getElementById('graphiql-token-form');
  var tokenInput = document.getElementById('graphiql-token');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  var send = GraphiQL.createFetcher({ url: config.endpoint, fetch: watchedFetch });

  var headersProp = config.defaultHeaders; // GraphiQL's headers prop; a new value replaces the editor's text
  var editorHeaders = headersProp; // the header editor's text, as last reported
  var schemaAuth = null; // the Authorization header the schema was last fetched with
  var started = false; // whether GraphiQL has fetched the schema once
  var current = null; // the token the pickers show: {tenant, token} indices, or null
  var rolesOf = -1; // index in tenants of the tenant whose tokens rolePicker lists
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

  // showNotice shows text above GraphiQL, with a button that reloads the
  // page if reload is set; an empty text hides the notice.
  function showNotice(text, reload) {
    notice.textContent = text;
    notice.hidden = !text;
    if (reload) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = 'Reload the page';
      b.addEventListener('click', function () {
        location.reload();
      });
      notice.appendChild(document.createTextNode(' '));
      notice.appendChild(b);
    }
  }

  // watchedFetch is fetch for GraphiQL's fetcher: it tells the user why
  // the endpoint refuses a token.
  function watchedFetch(url, init) {
    var auth = authorization(init && init.headers);
    return fetch(url, init).then(function (res) {
      if (res.status !== 401) {
        showNotice('');
      } else if (find(auth)) {
        showNotice(
          'The gateway restarted since this page was loaded: the dev tokens on this page were signed ' +
            'with the key of the previous process, and are no longer accepted. Reload the page for new ones.',
          true
        );
      } else {
        showNotice(
          'The gateway refused the token in the Authorization header (401): it may have expired, ' +
            'or be meant for another gateway. Paste a current token.'
        );
      }
      return res;
    });
  }

  // needToken is GraphiQL's result for a request the page does not send,
  // for want of a token.
  var needToken = {
    errors: [
      {
        message:
          'No token: paste a bearer token of your tenant above (or put it in the Authorization header ' +
          'below); it selects the tenant, and so the schema.',
      },
    ],
  };

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
      if (tokenInput && !authorization(opts && opts.headers)) return Promise.resolve(needToken);
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
    if (h) showToken(authorization(h));
    if (!started || !h || authorization(h) === schemaAuth) return;
    if (text === headersProp) {
      refetchSchema(); // set by the picker
    } else {
      refetchTimer = setTimeout(refetchSchema, 600); // wait for a pause in typing
    }
  }

  // find returns the indices of the token in auth, or null.
  function find(auth) {
    for (var i = 0; i < tenants.length; i++) {
      for (var j = 0; j < tenants[i].tokens.length; j++) {
        if (auth === 'Bearer ' + tenants[i].tokens[j].token) return { tenant: i, token: j };
      }
    }
    return null;
  }

  // hasRoles reports whether tenant t has a token for a role.
  function hasRoles(t) {
    return t.tokens.some(function (tok) {
      return tok.role !== '';
    });
  }

  // showToken sets the pickers, if any, to the tenant and role whose token
  // is in auth, or the tenant picker to "other token". The role picker is
  // shown for a tenant with roles only.
  function showToken(auth) {
    if (!picker) return;
    current = find(auth);
    picker.value = current ? String(current.tenant) : '';
    if (!rolePicker) return;
    var t = current && tenants[current.tenant];
    roleLabel.hidden = !(t && hasRoles(t));
    if (roleLabel.hidden) return;
    if (rolesOf !== current.tenant) {
      rolesOf = current.tenant;
      rolePicker.textContent = '';
      t.tokens.forEach(function (tok, j) {
        var o = document.createElement('option');
        o.value = String(j);
        o.textContent = tok.label;
        rolePicker.appendChild(o);
      });
    }
    rolePicker.value = String(current.token);
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

  // savedRole returns the index of the token of tenant i picked last, or
  // 0, its first.
  function savedRole(i) {
    var role = storageGet(roleKey + tenants[i].tenant);
    var j = 0;
    tenants[i].tokens.forEach(function (tok, k) {
      if (tok.role === role) j = k;
    });
    return j;
  }

  // use puts token j of tenant i into the Authorization header.
  function use(i, j) {
    var t = tenants[i];
    var tok = t && t.tokens[j];
    if (!tok || (current && current.tenant === i && current.token === j)) return;
    storageSet(tenantKey, t.tenant);
    storageSet(roleKey + t.tenant, tok.role);
    showToken('Bearer ' + tok.token);
    setHeaders(withToken(editorHeaders, tok.token));
  }

  // setHeaders puts text into the header editor. GraphiQL puts its
  // headers prop into the editor when the prop changes, so clear it first
  // for a text equal to the last one to count. onEditHeaders then fetches
  // the schema of the token in text.
  function setHeaders(text) {
    headersProp = text;
    ReactDOM.flushSync(function () {
      render(true);
    });
    render();
  }

  if (tokenForm) {
    // No dev mode: the token field fills in the Authorization header.
    tokenForm.addEventListener('submit', function (e) {
      e.preventDefault();
      var token = tokenInput.value.trim().replace(/^Bearer\s+/i, '');
      if (!token) return;
      tokenInput.value = '';
      showNotice('');
      setHeaders(withToken(editorHeaders, token));
    });
  }

  if (picker && tenants.length > 0) {
    // Dev mode: act as the tenant and role picked last time, or else the
    // first tenant's first token.
    var saved = storageGet(tenantKey);
    var first = 0;
    tenants.forEach(function (t, i) {
      if (t.tenant === saved) first = i;
    });
    var token = tenants[first].tokens[savedRole(first)].token;
    headersProp = editorHeaders = withToken('', token);
    showToken('Bearer ' + token);

    picker.addEventListener('change', function () {
      var i = Number(picker.value);
      if (tenants[i]) use(i, savedRole(i));
    });
    if (rolePicker) {
      rolePicker.addEventListener('change', function () {
        if (current) use(current.tenant, Number(rolePicker.value));
      });
    }
  }
  render();
})();
