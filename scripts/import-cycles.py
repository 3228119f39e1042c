#!/usr/bin/env python3
# Module-level import graph of src/ (file granularity, `use crate::a::b` -> the deepest existing
# module file), cycles reported. Test modules (after #[cfg(test)]) are ignored.
import re,glob,os,sys
root=os.path.join(os.path.dirname(os.path.abspath(__file__)),'..','src')
mods={}
for p in glob.glob(root+'/**/*.rs',recursive=True):
    rel=os.path.relpath(p,root)[:-3]
    if rel in ('lib','main') or rel.startswith('bin/'): continue
    mods[rel.replace('/','::')]=p
def resolve(path):
    parts=path.split('::')
    while parts:
        m='::'.join(parts)
        if m in mods: return m
        parts=parts[:-1]
    return None
edges={m:set() for m in mods}
for m,p in mods.items():
    s=open(p).read()
    cut=s.find('#[cfg(test)]')
    if cut>=0: s=s[:cut]
    s='\n'.join(l for l in s.split('\n') if not l.lstrip().startswith('//'))
    for u in re.findall(r'crate::([A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)(?:::\{([^}]*)\})?',s):
        base=u[0].rstrip(':')
        targets=[base]+([base+'::'+x.strip().split(' ')[0] for x in u[1].split(',') if x.strip() and x.strip()!='self'] if u[1] else [])
        for t in targets:
            r=resolve(t)
            if r and r!=m and not m.startswith(r+'::') : edges[m].add(r)
    # Paths through an imported module (`synth::page::SynthLabPanel` after `use crate::labs::synth`).
    alias={}
    for u in re.findall(r'crate::([A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)(?:::\{([^}]*)\})?',s):
        base=u[0].rstrip(':')
        for full in [base]+([base+'::'+x.strip().split(' ')[0] for x in u[1].split(',') if x.strip()] if u[1] else []):
            alias[full.split('::')[-1]]=full
    for head,rest in re.findall(r'\b([a-z_]\w*)((?:::[A-Za-z_]\w*)+)',s):
        if head in alias:
            r=resolve(alias[head]+rest)
            if r and r!=m and not m.startswith(r+'::'): edges[m].add(r)
    for u in re.findall(r'use super::(\w+)',s):
        parent='::'.join(m.split('::')[:-1])
        r=resolve((parent+'::' if parent else '')+u)
        if r and r!=m and not m.startswith(r+'::'): edges[m].add(r)
# Tarjan SCC
idx={};low={};st=[];on=set();sccs=[];c=[0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
    for w in edges[v]:
        if w not in idx: sc(w);low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v:break
        if len(comp)>1: sccs.append(comp)
for v in edges:
    if v not in idx: sc(v)
for comp in sccs:
    print('import cycle:', ' -> '.join(sorted(comp)))
sys.exit(1 if sccs else 0)
