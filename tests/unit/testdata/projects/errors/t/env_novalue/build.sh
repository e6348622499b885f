#!/bin/sh
echo building t/env_novalue
